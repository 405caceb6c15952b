package dev.trellis.platform.data;

import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * How long any database call may take, so that a slow, frozen or dead shard answers UNAVAILABLE within seconds and
 * frees the connection and the thread instead of holding them until the client gives up (or forever). Each pool
 * connection gets PostgreSQL's own {@code statement_timeout}, {@code lock_timeout} and
 * {@code idle_in_transaction_session_timeout}, which a live server enforces, and a socket timeout a little longer
 * than the statement timeout, which bounds the wait on a server that answers nothing at all (a hung host, a
 * SIGSTOPped postmaster). A call with a nearer gRPC deadline gets that deadline as its statements' query timeout.
 *
 * @param statement the longest a statement may run (server side); the socket timeout is one second more
 * @param lock the longest a statement may wait for a row or table lock, at most {@code statement}
 * @param idleInTransaction the longest a connection may sit idle inside an open transaction before the server
 *     ends it and frees its locks
 * @param probeInterval how often each shard is checked: the check decides health and which shards fail fast
 */
public record ShardTimeouts(Duration statement, Duration lock, Duration idleInTransaction, Duration probeInterval) {
  public static final String STATEMENT = "TRELLIS_SHARD_STATEMENT_TIMEOUT";
  public static final String LOCK = "TRELLIS_SHARD_LOCK_TIMEOUT";
  public static final String IDLE_IN_TRANSACTION = "TRELLIS_SHARD_IDLE_IN_TRANSACTION_TIMEOUT";
  public static final String PROBE_INTERVAL = "TRELLIS_SHARD_PROBE_INTERVAL";

  /** How much longer than a statement's own bound the driver waits on a silent socket. */
  static final Duration SOCKET_MARGIN = Duration.ofSeconds(1);

  public ShardTimeouts {
    Require.atMost(STATEMENT, Require.atLeast(STATEMENT, statement, Duration.ofMillis(100)), Duration.ofHours(1));
    Require.atLeast(LOCK, lock, Duration.ofMillis(10));
    Require.that(lock.compareTo(statement) <= 0, LOCK + " must not be longer than " + STATEMENT
        + ": a statement waiting for a lock ends at the statement timeout anyway");
    Require.atLeast(IDLE_IN_TRANSACTION, idleInTransaction, Duration.ofSeconds(1));
    Require.atMost(PROBE_INTERVAL, Require.atLeast(PROBE_INTERVAL, probeInterval, Duration.ofMillis(50)),
        Duration.ofMinutes(1));
  }

  /** 5 s statements, 2 s lock waits, 10 s idle in a transaction, a check every second. */
  public static ShardTimeouts defaults() {
    return new ShardTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(10),
        Duration.ofSeconds(1));
  }

  /** The four {@code TRELLIS_SHARD_*} variables above, each defaulting as {@link #defaults()}. */
  public static ShardTimeouts fromSettings(Settings settings) {
    ShardTimeouts d = defaults();
    return new ShardTimeouts(
        settings.duration(STATEMENT, d.statement()),
        settings.duration(LOCK, d.lock()),
        settings.duration(IDLE_IN_TRANSACTION, d.idleInTransaction()),
        settings.duration(PROBE_INTERVAL, d.probeInterval()));
  }

  /** pgjdbc's {@code socketTimeout}, in whole seconds: the statement timeout and the margin, rounded up. */
  int socketTimeoutSeconds() {
    return ceilSeconds(statement.plus(SOCKET_MARGIN));
  }

  /** pgjdbc's {@code options}: the server-side timeouts of every connection of the pool. */
  String serverOptions() {
    return "-c statement_timeout=" + statement.toMillis()
        + " -c lock_timeout=" + lock.toMillis()
        + " -c idle_in_transaction_session_timeout=" + idleInTransaction.toMillis();
  }

  static int ceilSeconds(Duration d) {
    return (int) Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
