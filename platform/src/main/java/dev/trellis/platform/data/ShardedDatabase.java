package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRouter;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConfiguration;
import org.jooq.impl.DefaultExecuteListenerProvider;

/**
 * The sharded database of one service: one HikariCP pool and jOOQ context per physical shard, and the router that
 * finds the shard of a key or an id. Open one per process and close it at shutdown.
 *
 * <pre>{@code
 * ShardMigrator.migrate(topology, "classpath:db/migration/users");
 * try (ShardedDatabase db = ShardedDatabase.builder(topology).kind("user").build()) {
 *   Shard shard = db.shardOfId(id);
 *   shard.transaction(dsl -> ...);
 * }
 * }</pre>
 */
public final class ShardedDatabase implements ShardPoolMetrics, AutoCloseable {
  static {
    // jOOQ prints a banner and a "tip of the day" on first use; they do not belong in a service's JSON log lines.
    System.setProperty("org.jooq.no-logo", System.getProperty("org.jooq.no-logo", "true"));
    System.setProperty("org.jooq.no-tips", System.getProperty("org.jooq.no-tips", "true"));
  }

  private final List<Shard> shards;
  private final String kind;
  private final ShardRouter router;
  private final ScatterGather scatterGather;
  private final ShardProber prober;
  private final DirectoryPoller poller; // null when the builder fixed the directory

  private ShardedDatabase(List<Shard> shards, String kind, ShardRouter router, int fetchSize,
      Duration probeInterval, Duration directoryPoll) {
    this.shards = List.copyOf(shards);
    this.kind = kind;
    this.router = router;
    this.scatterGather = new ScatterGather(fetchSize);
    this.prober = new ShardProber(this.shards, kind, probeInterval);
    this.poller = directoryPoll == null ? null : new DirectoryPoller(this.shards, router, kind, directoryPoll);
  }

  public static Builder builder(ShardTopology topology) {
    return new Builder(topology);
  }

  /** Every shard, in shard order. */
  public List<Shard> shards() {
    return shards;
  }

  public Shard shard(int index) {
    return shards.get(index);
  }

  public ShardRouter router() {
    return router;
  }

  /** What the shards hold ("user", "order"), as the builder was told. */
  public String kind() {
    return kind;
  }

  /**
   * Tells {@code listener} whether each shard is reachable now, then every time a check finds that changed (on a
   * prober thread). The server's health reports shards this way.
   */
  public void onReachability(ShardReachabilityListener listener) {
    prober.listen(listener);
  }

  /** The shard that owns an id's bucket. */
  public Shard shardOfId(long id) {
    return shards.get(router.shardOfId(id));
  }

  /** The shard that owns a key's bucket (for example a lower-cased email). */
  public Shard shardOfKey(String key) {
    return shards.get(router.shardOfKey(key));
  }

  public Shard shardOfBucket(int bucket) {
    return shards.get(router.shardOfBucket(bucket));
  }

  /** Streams ordered rows from many shards at once. */
  public ScatterGather scatterGather() {
    return scatterGather;
  }

  @Override
  public List<ShardPoolSnapshot> poolSnapshots() {
    return shards.stream().map(Shard::poolSnapshot).toList();
  }

  /**
   * Asks for the newest directory version now instead of at the next poll: what a store does when a shard refused
   * a write because the bucket moved.
   */
  public void refreshDirectory() {
    if (poller != null) {
      poller.refreshNow();
    }
  }

  @Override
  public void close() {
    if (poller != null) {
      poller.close();
    }
    prober.close();
    shards.forEach(Shard::close);
  }

  /** Builds a {@link ShardedDatabase}; pools start filling at {@link #build()}. */
  public static final class Builder {
    private final ShardTopology topology;
    private ShardPoolSettings pool = ShardPoolSettings.defaults();
    private String kind = "data";
    private BucketDirectory directory;

    private Builder(ShardTopology topology) {
      this.topology = requireNonNull(topology, "topology");
    }

    public Builder pool(ShardPoolSettings pool) {
      this.pool = requireNonNull(pool, "pool");
      return this;
    }

    /** What the shards hold ("user", "order"): names them in pool thread names and UNAVAILABLE messages. */
    public Builder kind(String kind) {
      this.kind = requireNonNull(kind, "kind");
      return this;
    }

    /**
     * A fixed bucket layout, never refreshed (tests, benchmarks). Default: the newest complete version stored on
     * the shards, followed every {@link ShardPoolSettings#directoryPoll()}; even ranges over the topology's shards
     * where no shard holds a directory (a database that was never migrated).
     */
    public Builder directory(BucketDirectory directory) {
      this.directory = requireNonNull(directory, "directory");
      return this;
    }

    public ShardedDatabase build() {
      ShardFailures failures = new ShardFailures(kind);
      // No per-query debug logging and no SQLWarning fetch after each statement: both cost on every point read.
      Settings jooqSettings = new Settings().withExecuteLogging(false).withFetchWarnings(false)
          .withRenderSchema(false);
      StatementDeadlines deadlines = new StatementDeadlines(pool.timeouts().statement());
      int checkSeconds = ShardTimeouts.ceilSeconds(pool.connectionTimeout());
      List<Shard> shards = new ArrayList<>();
      try {
        for (int i = 0; i < topology.size(); i++) {
          ShardSpec spec = topology.shards().get(i);
          PoolCounters counters = new PoolCounters();
          HikariDataSource ds = new HikariDataSource(hikariConfig(spec, counters));
          DefaultConfiguration jooq = new DefaultConfiguration();
          jooq.set(ds).set(SQLDialect.POSTGRES).set(jooqSettings)
              .set(new DefaultExecuteListenerProvider(deadlines));
          shards.add(new Shard(i, spec.name(), ds, DSL.using(jooq), failures, counters, checkSeconds,
              () -> DriverManager.getConnection(spec.jdbcUrl(), checkProperties(spec, checkSeconds))));
        }
      } catch (RuntimeException e) {
        shards.forEach(Shard::close);
        throw e;
      }
      BucketDirectory dir = directory != null ? directory
          : DirectoryPoller.readNewest(shards).orElseGet(() -> BucketDirectory.evenRanges(topology.size()));
      if (dir.shardCount() != topology.size()) {
        shards.forEach(Shard::close);
        throw new IllegalArgumentException("the directory maps " + dir.shardCount() + " shards but the topology has "
            + topology.size());
      }
      ShardedDatabase db = new ShardedDatabase(shards, kind, new ShardRouter(dir), pool.fetchSize(),
          pool.timeouts().probeInterval(), directory != null ? null : pool.directoryPoll());
      failures.onBucketMoved(db::refreshDirectory);
      return db;
    }

    /** The prober's own connection: every wait bounded by the check's time. */
    private Properties checkProperties(ShardSpec spec, int checkSeconds) {
      Properties p = new Properties();
      p.setProperty("user", spec.user());
      p.setProperty("password", spec.password());
      p.setProperty("ApplicationName", "trellis-" + kind + "-check");
      p.setProperty("connectTimeout", Integer.toString(checkSeconds));
      p.setProperty("socketTimeout", Integer.toString(checkSeconds));
      p.setProperty("loginTimeout", Integer.toString(checkSeconds));
      return p;
    }

    private HikariConfig hikariConfig(ShardSpec spec, PoolCounters counters) {
      HikariConfig c = new HikariConfig();
      c.setPoolName(spec.name());
      c.setJdbcUrl(spec.jdbcUrl());
      c.setUsername(spec.user());
      c.setPassword(spec.password());
      // A fixed-size pool, as HikariCP recommends: no connection churn under bursts.
      c.setMaximumPoolSize(pool.maxSize());
      c.setMinimumIdle(pool.maxSize());
      c.setConnectionTimeout(pool.connectionTimeout().toMillis());
      c.setValidationTimeout(Math.max(250, pool.connectionTimeout().toMillis() / 2));
      // Do not fail the pool at start when a shard is down: calls on it fail fast with UNAVAILABLE instead, and the
      // pool connects when the shard comes back.
      c.setInitializationFailTimeout(-1);
      c.setMetricsTrackerFactory(counters);
      c.addDataSourceProperty("ApplicationName", "trellis-" + kind);
      c.addDataSourceProperty("tcpKeepAlive", "true");
      // Bounded time for everything (ShardTimeouts): the server ends long statements, lock waits and idle
      // transactions; the driver gives up on a server that answers nothing, at connect and on every read.
      ShardTimeouts timeouts = pool.timeouts();
      String connectSeconds = Integer.toString(ShardTimeouts.ceilSeconds(pool.connectionTimeout()));
      c.addDataSourceProperty("options", timeouts.serverOptions());
      c.addDataSourceProperty("connectTimeout", connectSeconds);
      c.addDataSourceProperty("socketTimeout", Integer.toString(timeouts.socketTimeoutSeconds()));
      // A cancel request (the query timeout of a call's deadline) to a hung server must not hang its sender.
      c.addDataSourceProperty("cancelSignalTimeout", connectSeconds);
      return c;
    }
  }
}
