package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import dev.trellis.platform.data.ShardProber.ShardHealth;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Result;
import org.jooq.ResultQuery;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * One physical shard as the code sees it: its HikariCP pool and a jOOQ {@link DSLContext} on that pool. Work runs
 * through {@link #read} or {@link #transaction}, which turn connection failures and timeouts into UNAVAILABLE (see
 * {@link ShardFailures}); nothing else talks to the pool directly except tests and benchmarks (a
 * scatter-gather reads each batch through {@link #read} too).
 *
 * <p>Every statement is bounded in time ({@link ShardTimeouts}, and the deadline of the call being served), and a
 * shard that its prober found unreachable fails its calls at once with UNAVAILABLE rather than after the pool's
 * connection timeout.
 */
public final class Shard {
  private final int index;
  private final String name;
  private final HikariDataSource pool;
  private final ShardConnections connections;
  private final DSLContext dsl;
  private final ShardFailures failures;
  private final PoolCounters counters;
  private final int checkSeconds;
  private final CheckConnections checkConnections;
  private final ShardHealth health = new ShardHealth();
  /** Each table's read batcher on this shard ({@link PointReads}): they go with the shard when it leaves the set. */
  private final Map<PointReads<?>, ReadBatcher<Long, ?>> readBatchers = new ConcurrentHashMap<>();
  private volatile Connection checkConnection; // opened by the prober's thread
  private volatile boolean closed;

  Shard(int index, String name, HikariDataSource pool, ShardConnections connections, DSLContext dsl,
      ShardFailures failures, PoolCounters counters, int checkSeconds, CheckConnections checkConnections) {
    this.index = index;
    this.name = name;
    this.pool = pool;
    this.connections = connections;
    this.dsl = dsl;
    this.failures = failures;
    this.counters = counters;
    this.checkSeconds = checkSeconds;
    this.checkConnections = checkConnections;
  }

  /** The position of this shard in the topology and the bucket directory. */
  public int index() {
    return index;
  }

  public String name() {
    return name;
  }

  /**
   * Runs statements in autocommit mode: each statement is its own transaction. For single-statement reads and
   * writes (a point read, an INSERT ... ON CONFLICT, a conditional UPDATE).
   */
  public <T> T read(Function<DSLContext, T> work) {
    requireNonNull(work, "work");
    requireReachable();
    try {
      return work.apply(dsl);
    } catch (RuntimeException e) {
      throw failed(e);
    }
  }

  /**
   * Runs work in one transaction on this shard: it commits whole when the work returns, and rolls back whole when
   * it throws (the exception then propagates, an {@link dev.trellis.platform.error.ApiException} unchanged).
   */
  public <T> T transaction(Function<DSLContext, T> work) {
    requireNonNull(work, "work");
    requireReachable();
    try {
      return dsl.transactionResult(configuration -> work.apply(configuration.dsl()));
    } catch (RuntimeException e) {
      throw failed(e);
    }
  }

  /**
   * Inside work on this shard ({@code dsl} of a {@link #read} or {@link #transaction}): the record {@code query}
   * finds, or empty when it finds none and this shard owns {@code bucket}. None found on a shard that no longer owns
   * the bucket fails as a write refused by the bucket fence does (UNAVAILABLE "moved", the directory read again,
   * the call retryable): a read routed by a directory older than the source grace of a move (a replica lagging on a
   * busy machine) would otherwise answer a false NOT_FOUND from the shard the bucket left. The ownership check is
   * one more statement, run only when nothing was found. As jOOQ's {@link DSLContext#fetchOptional(ResultQuery)}.
   */
  public static <R extends Record> Optional<R> fetchOptional(DSLContext dsl, int bucket, ResultQuery<R> query) {
    Optional<R> found = dsl.fetchOptional(query);
    if (found.isEmpty()) {
      requireBucket(dsl, bucket);
    }
    return found;
  }

  /**
   * {@link #fetchOptional(DSLContext, int, ResultQuery)} for a query of many records: an empty result only from a
   * shard that owns {@code bucket}.
   */
  public static <R extends Record> Result<R> fetch(DSLContext dsl, int bucket, ResultQuery<R> query) {
    Result<R> found = dsl.fetch(query);
    if (found.isEmpty()) {
      requireBucket(dsl, bucket);
    }
    return found;
  }

  /** Refuses (TRB01, mapped to UNAVAILABLE "moved") unless this shard owns {@code bucket}. */
  static void requireBucket(DSLContext dsl, int bucket) {
    dsl.fetch("SELECT trellis_require_bucket(?)", bucket);
  }

  /** Whether the last check of this shard found it answering (true until the first check says otherwise). */
  public boolean isReachable() {
    return health.reachable();
  }

  /** Fails at once with UNAVAILABLE when the prober found this shard unreachable. */
  void requireReachable() {
    if (!health.reachable()) {
      throw failures.unreachable();
    }
  }

  /** {@code reads}' batcher on this shard, made on first use. */
  @SuppressWarnings("unchecked") // each entry is made by its own PointReads, for its own row type
  <R extends Record> ReadBatcher<Long, R> readBatcher(PointReads<R> reads,
      Function<Shard, ReadBatcher<Long, R>> make) {
    ReadBatcher<Long, ?> batcher = readBatchers.get(reads);
    if (batcher == null) {
      batcher = readBatchers.computeIfAbsent(reads, r -> make.apply(this));
    }
    return (ReadBatcher<Long, R>) batcher;
  }

  /**
   * What a read that waited too long for its turn on this shard ({@link ReadBatcher}) fails with: what a wait for a
   * connection that timed out fails with (UNAVAILABLE, or DEADLINE_EXCEEDED past the call's deadline).
   */
  RuntimeException waitedTooLong() {
    String message = name + ": no turn for a read by id in time";
    return failed(new DataAccessException(message, new SQLTransientConnectionException(message)));
  }

  private RuntimeException failed(RuntimeException e) {
    if (ShardFailures.isConnectionFailure(e)) {
      health.suspect();
    }
    return failures.translate(name, e);
  }

  /**
   * One check for the prober, on a connection of its own outside the pool: the server answers when that connection
   * (or, when it broke, a new one) passes a validity check within the check's bound. Outside the pool, so that a
   * pool busy with calls is not taken for a shard that is down. Only the prober's thread calls this.
   */
  boolean check() {
    try {
      if (checkConnection != null && checkConnection.isValid(checkSeconds)) {
        return true;
      }
      closeCheckConnection();
      checkConnection = checkConnections.open(); // bounded by its connect and socket timeouts
      if (closed) {
        closeCheckConnection(); // the database closed meanwhile
      }
      return true;
    } catch (SQLException | RuntimeException e) {
      closeCheckConnection();
      return false;
    }
  }

  private void closeCheckConnection() {
    Connection connection = checkConnection;
    checkConnection = null;
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException | RuntimeException e) {
        // a broken connection: nothing to keep
      }
    }
  }

  /** Opens the prober's connection to this shard. */
  @FunctionalInterface
  interface CheckConnections {
    Connection open() throws SQLException;
  }

  ShardHealth health() {
    return health;
  }

  /**
   * A new id for {@code bucket} from this shard's {@code trellis_next_id}: call it on the shard that owns the bucket,
   * right before the insert that needs the id.
   */
  public long nextId(int bucket) {
    return read(dsl -> nextId(dsl, bucket));
  }

  /** {@link #nextId(int)} inside a transaction already open on this shard. */
  public static long nextId(DSLContext dsl, int bucket) {
    return dsl.select(DSL.function("trellis_next_id", SQLDataType.BIGINT, DSL.val(bucket))).fetchSingle().value1();
  }

  /** The pool itself, for tests and raw-JDBC comparisons. */
  public DataSource dataSource() {
    return pool;
  }

  ShardPoolSnapshot poolSnapshot() {
    return counters.snapshot(name, pool.getMaximumPoolSize(), pool.getHikariPoolMXBean());
  }

  /** Closes the pool and the prober's connection (the prober is told to stop first). */
  void close() {
    closed = true;
    closeCheckConnection();
    connections.close();
    pool.close();
  }

  @Override
  public String toString() {
    return "Shard[" + index + ", " + name + "]";
  }
}
