package dev.trellis.platform.data;

import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.UnavailableException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides whether a database failure means "this shard cannot be reached now" (or "did not
 * answer in time"). Those become an {@link UnavailableException} whose message names the kind of shard and nothing
 * else (no host, URL or SQL); the cause is logged here, on the server. A value the database refuses (SQLSTATE class
 * 22) is INVALID_ARGUMENT ({@link DataExceptions}). Every other failure passes through unchanged.
 */
final class ShardFailures {
  private static final Logger log = LoggerFactory.getLogger(ShardFailures.class);
  /** admin_shutdown, crash_shutdown, cannot_connect_now: the server is going down or not up yet. */
  private static final Set<String> SHUTDOWN_STATES = Set.of("57P01", "57P02", "57P03");
  /**
   * query_canceled (statement_timeout, or a query timeout from the call's deadline) and lock_not_available
   * (lock_timeout): the shard is up but did not answer in time.
   */
  private static final Set<String> TIMEOUT_STATES = Set.of("57014", "55P03");

  /** Raised by the bucket fence (db/platform/beforeMigrate__trellis_bucket_fence.sql). */
  static final String BUCKET_NOT_OWNED = "TRB01";
  private static final Set<String> MOVED_STATES = Set.of(BUCKET_NOT_OWNED);
  /** How soon a write refused by the fence may be retried: about one directory refresh away. */
  static final Duration MOVED_RETRY_DELAY = Duration.ofMillis(200);

  private final String unavailableMessage;
  private final String slowMessage;
  private final String movedMessage;
  private volatile Runnable onBucketMoved = () -> {};

  /**
   * @param kind what the shards hold, for the message: "user" gives "a user shard is unavailable; retry later",
   *     "order" "an order shard ..."
   */
  ShardFailures(String kind) {
    // By sound, for the usual kinds: "an order", "an item", but "a user".
    String article = !kind.isEmpty() && "aeio".indexOf(Character.toLowerCase(kind.charAt(0))) >= 0 ? "an " : "a ";
    this.unavailableMessage = article + kind + " shard is unavailable; retry later";
    this.slowMessage = article + kind + " shard did not answer in time; retry later";
    this.movedMessage = "the " + kind + " data moved to another shard; retry";
  }

  /** What to do when a shard refused a write for a bucket it does not own: refresh the bucket directory. */
  void onBucketMoved(Runnable action) {
    this.onBucketMoved = action;
  }

  /** What a call on a shard that its prober found unreachable fails with, at once. */
  UnavailableException unreachable() {
    return new UnavailableException(unavailableMessage);
  }

  /** The exception to throw for a failure on the named shard. */
  RuntimeException translate(String shard, Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (hasState(failure, MOVED_STATES)) {
      // Routed by an older directory version: nothing was written (the fence refused inside the transaction). The
      // client retries, by then on the new owner.
      log.info("shard {} refused a write for a bucket it no longer owns; refreshing the bucket directory", shard);
      onBucketMoved.run();
      return UnavailableException.bucketMoved(movedMessage, MOVED_RETRY_DELAY);
    }
    if (isConnectionFailure(failure)) {
      log.warn("shard {} is unavailable: {}", shard, rootMessage(failure));
      return StatementDeadlines.callDeadlinePassed() ? StatementDeadlines.deadlinePassed()
          : new UnavailableException(unavailableMessage);
    }
    if (hasState(failure, TIMEOUT_STATES)) {
      log.warn("shard {} did not answer in time: {}", shard, rootMessage(failure));
      return StatementDeadlines.callDeadlinePassed() ? StatementDeadlines.deadlinePassed()
          : new UnavailableException(slowMessage);
    }
    Optional<InvalidArgumentException> refusedValue = DataExceptions.asInvalidArgument(shard, failure);
    if (refusedValue.isPresent()) {
      return refusedValue.get();
    }
    if (failure instanceof RuntimeException runtime) {
      return runtime;
    }
    return new DataAccessException("shard " + shard + ": " + failure.getMessage(), failure);
  }

  /**
   * HikariCP's "no connection within connectionTimeout" ({@link SQLTransientConnectionException}), and driver errors
   * of SQLState class 08 (connection exception) or the shutdown states of class 57P.
   */
  static boolean isConnectionFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null
          && (sql.getSQLState().startsWith("08") || SHUTDOWN_STATES.contains(sql.getSQLState()))) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static boolean hasState(Throwable failure, Set<String> states) {
    for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null && states.contains(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
