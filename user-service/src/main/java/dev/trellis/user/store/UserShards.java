package dev.trellis.user.store;

import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;

/**
 * Where the users' sharded database comes from: its migrations and names (the service opens it through the
 * platform's ServiceDatabase).
 */
public final class UserShards {
  /**
   * The user-service's Flyway scripts. A folder of its own under db/migration, so that services sharing one JVM
   * (the local launcher) never see each other's V1.
   */
  public static final String MIGRATIONS = "classpath:db/migration/users";
  /** The database name on embedded shards. */
  public static final String DATABASE = "users";
  /** What a user shard is called in messages ("a user shard"). */
  public static final String KIND = "user";

  private UserShards() {}

  /** Migrates (platform and user scripts) and opens, outside a service (the bench); messages say "a user shard". */
  public static ShardedDatabase open(ShardTopology topology, ShardPoolSettings pool) {
    ShardMigrator.migrate(topology, MIGRATIONS);
    return ShardedDatabase.builder(topology).kind(KIND).pool(pool).build();
  }
}
