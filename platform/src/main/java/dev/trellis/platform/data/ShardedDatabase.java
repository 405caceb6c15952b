package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.ResultQuery;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConfiguration;
import org.jooq.impl.DefaultExecuteListenerProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sharded database of one service: one HikariCP pool and jOOQ context per physical shard, and the router that
 * finds the shard of a key or an id. Open one per process and close it at shutdown.
 *
 * <pre>{@code
 * ShardMigrator.migrate(topology, "classpath:db/migration/users");
 * try (ShardedDatabase db = ShardedDatabase.builder(topology).kind("user").build()) {
 *   Shard shard = db.shardOfId(id);
 *   shard.transaction(dsl -> ...);
 *   // A read by id: empty only on the shard that owns the id's bucket (see fetchOptionalById).
 *   Optional<UsersRecord> user = db.fetchOptionalById(id, dsl -> dsl.selectFrom(USERS).where(USERS.ID.eq(id)));
 * }
 * }</pre>
 */
public final class ShardedDatabase implements ShardPoolMetrics, AutoCloseable {
  static {
    // jOOQ prints a banner and a "tip of the day" on first use; they do not belong in a service's JSON log lines.
    System.setProperty("org.jooq.no-logo", System.getProperty("org.jooq.no-logo", "true"));
    System.setProperty("org.jooq.no-tips", System.getProperty("org.jooq.no-tips", "true"));
  }

  private static final Logger log = LoggerFactory.getLogger(ShardedDatabase.class);

  private final ShardPools pools;
  private final String kind;
  private final ShardRouter router;
  private final ScatterGather scatterGather;
  private final ShardProber prober;
  private final DirectoryPoller poller; // null when the builder fixed the directory
  private final Duration closeAfter;
  // The shard set, swapped whole under the lock: by directory index (null where no pool is open), and the open ones.
  private volatile Shard[] byIndex;
  private volatile List<Shard> open;
  // Shards that left the set (drained) whose pools close a little later: readable until then (readableShard).
  private final Map<Integer, Shard> left = new ConcurrentHashMap<>();

  private ShardedDatabase(ShardPools pools, List<Shard> seed, String kind, BucketDirectory directory,
      int fetchSize, Duration probeInterval, Duration directoryPoll) {
    this.pools = pools;
    this.kind = kind;
    this.byIndex = seed.toArray(Shard[]::new);
    this.open = List.copyOf(seed);
    this.router = new ShardRouter(directory);
    this.scatterGather = new ScatterGather(fetchSize);
    this.prober = new ShardProber(seed, kind, probeInterval);
    this.closeAfter = directoryPoll == null ? Duration.ZERO : directoryPoll.multipliedBy(2);
    this.poller = directoryPoll == null ? null
        : new DirectoryPoller(() -> open, router, this::follow, kind, directoryPoll);
  }

  public static Builder builder(ShardTopology topology) {
    return new Builder(topology);
  }

  /** Every shard with an open pool (the directory's serving shards), in shard order. */
  public List<Shard> shards() {
    return open;
  }

  /** The shard of directory index {@code index}. */
  public Shard shard(int index) {
    Shard[] shards = byIndex;
    if (index < 0 || index >= shards.length || shards[index] == null) {
      throw new IllegalArgumentException("no open shard " + index + " in the " + kind + " database");
    }
    return shards[index];
  }

  /**
   * The shard of directory index {@code index} while its pool is open: a serving shard, or one that just left the
   * set (drained), whose pool closes a little later. Calls route only to serving shards ({@link #shard}); this is
   * for reading what a leaving shard still holds, as an outbox feed delivers its last events.
   */
  public Shard readableShard(int index) {
    Shard[] shards = byIndex;
    if (index >= 0 && index < shards.length && shards[index] != null) {
      return shards[index];
    }
    Shard leftShard = left.get(index);
    if (leftShard == null) {
      throw new IllegalArgumentException("no open shard " + index + " in the " + kind + " database");
    }
    return leftShard;
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
    return shard(router.shardOfId(id));
  }

  /** The shard that owns a key's bucket (for example a lower-cased email). */
  public Shard shardOfKey(String key) {
    return shard(router.shardOfKey(key));
  }

  public Shard shardOfBucket(int bucket) {
    return shard(router.shardOfBucket(bucket));
  }

  /**
   * The record {@code query} finds on the shard of an id's bucket, in one statement of its own. Empty only where
   * that shard owns the bucket: finding none on a shard the bucket left is UNAVAILABLE, retryable (see
   * {@link Shard#fetchOptional(DSLContext, int, ResultQuery)}), never a false "none".
   */
  public <R extends Record> Optional<R> fetchOptionalById(long id,
      Function<DSLContext, ? extends ResultQuery<R>> query) {
    return fetchOptionalIn(ShardId.bucketOf(id), query);
  }

  /** {@link #fetchOptionalById} on the shard of a shard key's bucket (for example a SKU). */
  public <R extends Record> Optional<R> fetchOptionalByKey(String key,
      Function<DSLContext, ? extends ResultQuery<R>> query) {
    return fetchOptionalIn(ShardRouter.bucketOfKey(key), query);
  }

  /** {@link #fetchOptionalById} for a query of many records (one user's orders): empty only where it is true. */
  public <R extends Record> Result<R> fetchById(long id, Function<DSLContext, ? extends ResultQuery<R>> query) {
    requireNonNull(query, "query");
    int bucket = ShardId.bucketOf(id);
    return shardOfBucket(bucket).read(dsl -> Shard.fetch(dsl, bucket, query.apply(dsl)));
  }

  private <R extends Record> Optional<R> fetchOptionalIn(int bucket,
      Function<DSLContext, ? extends ResultQuery<R>> query) {
    requireNonNull(query, "query");
    return shardOfBucket(bucket).read(dsl -> Shard.fetchOptional(dsl, bucket, query.apply(dsl)));
  }

  /**
   * Reads of {@code table}'s rows by {@code id}, batched per shard under load (see {@link PointReads}), with
   * {@link ShardPoolSettings#pointReads()} statements per shard before reads share one. Make one per table at start.
   */
  public <R extends Record> PointReads<R> pointReads(Table<R> table, Field<Long> id) {
    return new PointReads<>(this, table, id, pools.pool);
  }

  /** Streams ordered rows from many shards at once. */
  public ScatterGather scatterGather() {
    return scatterGather;
  }

  @Override
  public List<ShardPoolSnapshot> poolSnapshots() {
    return open.stream().map(Shard::poolSnapshot).toList();
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

  /**
   * Follows a newer directory version: opens a pool for each serving shard it records that this replica lacks
   * (credentials as the configured shards have them), swaps the router's directory, then stops using the shards it
   * records as drained and closes their pools a little later (calls that routed by the old version finish first).
   */
  synchronized void follow(BucketDirectory newer) {
    if (newer.version() <= router.directory().version()) {
      return;
    }
    openShardsOf(newer);
    if (router.update(newer)) {
      log.info("{} bucket directory version {} in use ({} shards)", kind, newer.version(), open.size());
    }
    closeShardsNotIn(newer);
  }

  private void openShardsOf(BucketDirectory directory) {
    Shard[] next = Arrays.copyOf(byIndex, Math.max(byIndex.length, directory.shardCount()));
    List<Shard> opened = new ArrayList<>();
    for (int i = 0; i < directory.shardCount(); i++) {
      boolean serves = directory.shards().isEmpty() || directory.shards().get(i).serves();
      if (serves && next[i] == null) {
        if (directory.shards().isEmpty()) {
          throw new IllegalStateException("directory version " + directory.version() + " names shard " + i
              + " but does not record where it is");
        }
        next[i] = pools.open(i, directory.shards().get(i).jdbcUrl());
        opened.add(next[i]);
      }
    }
    swapShards(next);
    opened.forEach(prober::add);
    opened.forEach(shard -> log.info("{} {} joined", kind, shard.name()));
  }

  private void closeShardsNotIn(BucketDirectory directory) {
    Shard[] next = byIndex.clone();
    List<Shard> leaving = new ArrayList<>();
    for (int i = 0; i < next.length; i++) {
      boolean serves = i < directory.shardCount()
          && (directory.shards().isEmpty() || directory.shards().get(i).serves());
      if (!serves && next[i] != null) {
        leaving.add(next[i]);
        next[i] = null;
      }
    }
    if (leaving.isEmpty()) {
      return;
    }
    if (poller != null) {
      leaving.forEach(shard -> left.put(shard.index(), shard)); // before the swap: always readable until closed
    }
    swapShards(next);
    for (Shard shard : leaving) {
      log.info("{} {} is drained: its pool closes", kind, shard.name());
      prober.remove(shard);
      if (poller != null) {
        poller.later(() -> {
          left.remove(shard.index(), shard);
          shard.close();
        }, closeAfter);
      } else {
        shard.close();
      }
    }
  }

  private void swapShards(Shard[] next) {
    byIndex = next;
    open = Arrays.stream(next).filter(java.util.Objects::nonNull).toList();
  }

  @Override
  public void close() {
    if (poller != null) {
      poller.close();
    }
    prober.close();
    synchronized (this) {
      open.forEach(Shard::close);
      left.values().forEach(Shard::close);
    }
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
      ShardPools pools = new ShardPools(topology, pool, kind);
      List<Shard> seed = new ArrayList<>();
      try {
        for (int i = 0; i < topology.size(); i++) {
          seed.add(pools.open(i, topology.shards().get(i)));
        }
      } catch (RuntimeException e) {
        seed.forEach(Shard::close);
        throw e;
      }
      BucketDirectory dir = directory != null ? directory
          : DirectoryPoller.readNewest(seed).orElseGet(() -> BucketDirectory.evenRanges(topology.size()));
      if (dir.shardCount() < topology.size() || (dir.shardCount() > topology.size() && dir.shards().isEmpty())) {
        seed.forEach(Shard::close);
        throw new IllegalArgumentException("the directory maps " + dir.shardCount() + " shards but the topology has "
            + topology.size());
      }
      ShardedDatabase db = new ShardedDatabase(pools, seed, kind, dir, pool.fetchSize(),
          pool.timeouts().probeInterval(), directory != null ? null : pool.directoryPoll());
      try {
        // The configured list is the seed: the directory names the rest of the shard set.
        synchronized (db) {
          db.openShardsOf(dir);
          db.closeShardsNotIn(dir);
        }
      } catch (RuntimeException e) {
        db.close();
        throw e;
      }
      pools.failures.onBucketMoved(db::refreshDirectory);
      return db;
    }
  }

  /** Opens one shard's pool: what the builder does for the configured shards and a follow for joining ones. */
  private static final class ShardPools {
    private final ShardTopology topology;
    private final ShardPoolSettings pool;
    private final String kind;
    private final ShardFailures failures;
    private final Settings jooqSettings;
    private final StatementDeadlines deadlines;
    private final int checkSeconds;

    ShardPools(ShardTopology topology, ShardPoolSettings pool, String kind) {
      this.topology = topology;
      this.pool = pool;
      this.kind = kind;
      this.failures = new ShardFailures(kind);
      // No per-query debug logging and no SQLWarning fetch after each statement: both cost on every point read.
      this.jooqSettings = new Settings().withExecuteLogging(false).withFetchWarnings(false).withRenderSchema(false);
      this.deadlines = new StatementDeadlines(pool.timeouts().statement());
      this.checkSeconds = ShardTimeouts.ceilSeconds(pool.connectionTimeout());
    }

    /** A shard the directory records: its URL, with the credentials the configured shards have. */
    Shard open(int index, String jdbcUrl) {
      ShardSpec first = topology.shards().get(0);
      return open(index, new ShardSpec(ShardTopology.shardName(index), jdbcUrl, first.user(), first.password()));
    }

    Shard open(int index, ShardSpec spec) {
      PoolCounters counters = new PoolCounters();
      HikariDataSource ds = new HikariDataSource(hikariConfig(spec, counters));
      DefaultConfiguration jooq = new DefaultConfiguration();
      ShardConnections connections = new ShardConnections(ds, pool.maxSize(), pool.connectionTimeout(), counters);
      jooq.set(connections).set(SQLDialect.POSTGRES).set(jooqSettings)
          .set(new DefaultExecuteListenerProvider(deadlines));
      return new Shard(index, spec.name(), ds, connections, DSL.using(jooq), failures, counters, checkSeconds,
          () -> DriverManager.getConnection(spec.jdbcUrl(), checkProperties(spec, checkSeconds)));
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
      // Read timeouts kept by a watch thread, not by each read: a timed read costs a virtual thread two hand-offs.
      c.addDataSourceProperty("socketFactory", WatchedSocketFactory.class.getName());
      // A cancel request (the query timeout of a call's deadline) to a hung server must not hang its sender.
      c.addDataSourceProperty("cancelSignalTimeout", connectSeconds);
      return c;
    }
  }
}
