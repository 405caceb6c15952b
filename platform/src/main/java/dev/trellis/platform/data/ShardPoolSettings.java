package dev.trellis.platform.data;

import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import java.time.Duration;
import java.util.Objects;

/**
 * How each shard's HikariCP pool is sized and how long a caller waits for a connection.
 *
 * @param maxSize connections per shard. HikariCP's guidance is small fixed pools, about cores * 2 + 1: more
 *     connections than the database can run at once only queue inside PostgreSQL instead of in the pool
 * @param connectionTimeout how long a call waits for a connection before the shard counts as unavailable; short,
 *     so that a dead shard fails fast instead of holding request threads
 * @param fetchSize rows per batch when a scatter-gather reads a shard: each batch is one query, and a stream holds
 *     at most this many rows of each shard
 * @param timeouts how long a statement, a lock wait and a silent socket may take, and how often shards are checked
 * @param directoryPoll how often a replica looks for a newer bucket directory version on the shards (it also looks
 *     at once when a shard refuses a write for a bucket it no longer owns)
 * @param pointReads how many statements of one table's {@link PointReads} run at once on a shard before further
 *     reads by id wait and share the next statement; 0 for none shared (each read waits for a connection and runs
 *     alone); more than {@code maxSize} counts as {@code maxSize}. Default 2: one statement runs while the other's
 *     answer comes back and the next batch forms; more only queue inside PostgreSQL. Measured on 2 cores, 1 or 2
 *     served the most reads and the pool's size (5) little more than none (BENCHMARKS.md, issue 15's seventh pass).
 *     Batches grow with the load, not with this number
 */
public record ShardPoolSettings(int maxSize, Duration connectionTimeout, int fetchSize, ShardTimeouts timeouts,
    Duration directoryPoll, int pointReads) {
  public static final String POOL_SIZE = "TRELLIS_SHARD_POOL_SIZE";
  public static final String CONNECTION_TIMEOUT = "TRELLIS_SHARD_CONNECTION_TIMEOUT";
  public static final String FETCH_SIZE = "TRELLIS_SHARD_FETCH_SIZE";
  public static final String DIRECTORY_POLL = "TRELLIS_DIRECTORY_POLL";
  public static final String POINT_READS = "TRELLIS_SHARD_POINT_READS";
  static final Duration DEFAULT_DIRECTORY_POLL = Duration.ofSeconds(2);
  static final int DEFAULT_POINT_READS = 2;

  public ShardPoolSettings {
    Require.between(POOL_SIZE, maxSize, 1, 1000);
    // HikariCP refuses less.
    Require.atLeast(CONNECTION_TIMEOUT, connectionTimeout, Duration.ofMillis(250));
    Require.between(FETCH_SIZE, fetchSize, 1, 100_000);
    Objects.requireNonNull(timeouts, "timeouts");
    Require.atMost(DIRECTORY_POLL, Require.atLeast(DIRECTORY_POLL, directoryPoll, Duration.ofMillis(50)),
        Duration.ofMinutes(5));
    Require.between(POINT_READS, pointReads, 0, 1000);
  }

  /** A pool whose point reads share statements once the default number of them run. */
  public ShardPoolSettings(int maxSize, Duration connectionTimeout, int fetchSize, ShardTimeouts timeouts,
      Duration directoryPoll) {
    this(maxSize, connectionTimeout, fetchSize, timeouts, directoryPoll, defaultPointReads(maxSize));
  }

  /** A pool that follows the directory at the default pace. */
  public ShardPoolSettings(int maxSize, Duration connectionTimeout, int fetchSize, ShardTimeouts timeouts) {
    this(maxSize, connectionTimeout, fetchSize, timeouts, DEFAULT_DIRECTORY_POLL);
  }

  /** A pool with the {@link ShardTimeouts#defaults() default timeouts}. */
  public ShardPoolSettings(int maxSize, Duration connectionTimeout, int fetchSize) {
    this(maxSize, connectionTimeout, fetchSize, ShardTimeouts.defaults());
  }

  public ShardPoolSettings withTimeouts(ShardTimeouts timeouts) {
    return new ShardPoolSettings(maxSize, connectionTimeout, fetchSize, timeouts, directoryPoll, pointReads);
  }

  public ShardPoolSettings withDirectoryPoll(Duration directoryPoll) {
    return new ShardPoolSettings(maxSize, connectionTimeout, fetchSize, timeouts, directoryPoll, pointReads);
  }

  public ShardPoolSettings withPointReads(int pointReads) {
    return new ShardPoolSettings(maxSize, connectionTimeout, fetchSize, timeouts, directoryPoll, pointReads);
  }

  /**
   * cores * 2 + 1 connections per shard, 2 s connection timeout, 256 rows per batch, the default timeouts, a
   * directory check every 2 s.
   */
  public static ShardPoolSettings defaults() {
    return new ShardPoolSettings(Runtime.getRuntime().availableProcessors() * 2 + 1, Duration.ofSeconds(2), 256);
  }

  /**
   * {@code TRELLIS_SHARD_POOL_SIZE}, {@code TRELLIS_SHARD_CONNECTION_TIMEOUT}, {@code TRELLIS_SHARD_FETCH_SIZE}, the
   * timeouts ({@link ShardTimeouts#fromSettings}), {@code TRELLIS_DIRECTORY_POLL} and
   * {@code TRELLIS_SHARD_POINT_READS} (a number, or {@code off} for 0; default 2, at most the pool size).
   */
  public static ShardPoolSettings fromSettings(Settings settings) {
    ShardPoolSettings d = defaults();
    int maxSize = settings.integer(POOL_SIZE, d.maxSize());
    String pointReads = settings.string(POINT_READS, "").trim();
    return new ShardPoolSettings(
        maxSize,
        settings.duration(CONNECTION_TIMEOUT, d.connectionTimeout()),
        settings.integer(FETCH_SIZE, d.fetchSize()),
        ShardTimeouts.fromSettings(settings),
        settings.duration(DIRECTORY_POLL, d.directoryPoll()),
        pointReads.isEmpty() ? defaultPointReads(maxSize)
            : pointReads.equalsIgnoreCase("off") ? 0 : settings.integer(POINT_READS, 0));
  }

  private static int defaultPointReads(int maxSize) {
    return Math.min(DEFAULT_POINT_READS, maxSize);
  }
}
