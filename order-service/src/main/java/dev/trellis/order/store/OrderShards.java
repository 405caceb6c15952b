package dev.trellis.order.store;

/**
 * Where the orders' sharded database comes from: its migrations and names (the service opens it through the
 * platform's ServiceDatabase).
 */
public final class OrderShards {
  /**
   * order-service's Flyway scripts: a folder of its own under db/migration, so that services sharing one JVM (the
   * local launcher) never see each other's V1.
   */
  public static final String MIGRATIONS = "classpath:db/migration/orders";
  /** The database name on embedded shards. */
  public static final String DATABASE = "orders";
  /** What an order shard is called in messages ("an order shard"). */
  public static final String KIND = "order";

  private OrderShards() {}
}
