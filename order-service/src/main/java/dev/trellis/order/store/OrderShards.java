package dev.trellis.order.store;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;

/** Opens the orders' sharded database: migrates (or checks) every shard, then opens the pools. */
public final class OrderShards {
  /**
   * order-service's Flyway scripts: a folder of its own under db/migration, so that services sharing one JVM (the
   * local launcher) never see each other's V1.
   */
  public static final String MIGRATIONS = "classpath:db/migration/orders";
  /** The database name on embedded shards. */
  public static final String DATABASE = "orders";

  private OrderShards() {}

  /** Migrates or checks the shards as the settings say (see {@link ShardMigrator#atStart}), then opens. */
  public static ShardedDatabase open(Settings settings, ShardTopology topology, ShardPoolSettings pool) {
    ShardMigrator.atStart(settings, topology, MIGRATIONS);
    return ShardedDatabase.builder(topology).kind("order").pool(pool).build();
  }
}
