package dev.trellis.user.store;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;

/** Opens the users' sharded database: migrates every shard, then opens the pools. */
public final class UserShards {
  /**
   * The user-service's Flyway scripts. A folder of its own under db/migration, so that services sharing one JVM
   * (the local launcher) never see each other's V1.
   */
  public static final String MIGRATIONS = "classpath:db/migration/users";
  /** The database name on embedded shards. */
  public static final String DATABASE = "users";

  private UserShards() {}

  /** Migrates (platform and user scripts) and opens; UNAVAILABLE messages say "a user shard". */
  public static ShardedDatabase open(ShardTopology topology, ShardPoolSettings pool) {
    ShardMigrator.migrate(topology, MIGRATIONS);
    return openMigrated(topology, pool);
  }

  /** Migrates or checks the shards as the settings say (see {@link ShardMigrator#atStart}), then opens. */
  public static ShardedDatabase open(Settings settings, ShardTopology topology, ShardPoolSettings pool) {
    ShardMigrator.atStart(settings, topology, MIGRATIONS);
    return openMigrated(topology, pool);
  }

  private static ShardedDatabase openMigrated(ShardTopology topology, ShardPoolSettings pool) {
    return ShardedDatabase.builder(topology).kind("user").pool(pool).build();
  }
}
