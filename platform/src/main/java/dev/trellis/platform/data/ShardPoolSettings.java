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
 */
public record ShardPoolSettings(int maxSize, Duration connectionTimeout, int fetchSize, ShardTimeouts timeouts,
    Duration directoryPoll) {
  public static final String POOL_SIZE = "TRELLIS_SHARD_POOL_SIZE";
  public static final String CONNECTION_TIMEOUT = "TRELLIS_SHARD_CONNECTION_TIMEOUT";
  public static final String FETCH_SIZE = "TRELLIS_SHARD_FETCH_SIZE";
  public static final String DIRECTORY_POLL = "TRELLIS_DIRECTORY_POLL";
  static final Duration DEFAULT_DIRECTORY_POLL = Duration.ofSeconds(2);

  public ShardPoolSettings {
    Require.between(POOL_SIZE, maxSize, 1, 1000);
    // HikariCP refuses less.
    Require.atLeast(CONNECTION_TIMEOUT, connectionTimeout, Duration.ofMillis(250));
    Require.between(FETCH_SIZE, fetchSize, 1, 100_000);
    Objects.requireNonNull(timeouts, "timeouts");
    Require.atMost(DIRECTORY_POLL, Require.atLeast(DIRECTORY_POLL, directoryPoll, Duration.ofMillis(50)),
        Duration.ofMinutes(5));
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
    return new ShardPoolSettings(maxSize, connectionTimeout, fetchSize, timeouts, directoryPoll);
  }

  public ShardPoolSettings withDirectoryPoll(Duration directoryPoll) {
    return new ShardPoolSettings(maxSize, connectionTimeout, fetchSize, timeouts, directoryPoll);
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
   * timeouts ({@link ShardTimeouts#fromSettings}) and {@code TRELLIS_DIRECTORY_POLL}.
   */
  public static ShardPoolSettings fromSettings(Settings settings) {
    ShardPoolSettings d = defaults();
    return new ShardPoolSettings(
        settings.integer(POOL_SIZE, d.maxSize()),
        settings.duration(CONNECTION_TIMEOUT, d.connectionTimeout()),
        settings.integer(FETCH_SIZE, d.fetchSize()),
        ShardTimeouts.fromSettings(settings),
        settings.duration(DIRECTORY_POLL, d.directoryPoll()));
  }
}
