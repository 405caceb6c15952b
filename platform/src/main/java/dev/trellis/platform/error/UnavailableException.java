package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A dependency (a shard, a downstream service) cannot be reached now: UNAVAILABLE, which clients and meshes
 * retry. The message names the kind of dependency ("a user shard"), never a host, URL or driver error.
 */
public final class UnavailableException extends ApiException {
  private final Duration retryDelay;
  private final boolean bucketMoved;

  private UnavailableException(String message, Duration retryDelay, boolean bucketMoved) {
    super("UNAVAILABLE", message);
    this.retryDelay = requireNonNull(retryDelay, "retryDelay");
    this.bucketMoved = bucketMoved;
  }

  public UnavailableException(String message, Duration retryDelay) {
    this(message, retryDelay, false);
  }

  /**
   * A write refused by the shard it was routed to because its bucket moved away (the bucket fence): nothing of it
   * was applied, and the same write succeeds once the directory names the new owner.
   */
  public static UnavailableException bucketMoved(String message, Duration retryDelay) {
    return new UnavailableException(message, retryDelay, true);
  }

  public UnavailableException(String message) {
    this(message, Duration.ofSeconds(1));
  }

  public Duration retryDelay() {
    return retryDelay;
  }

  /** Whether the write was refused because its bucket moved to another shard (see {@link #bucketMoved}). */
  public boolean isBucketMoved() {
    return bucketMoved;
  }
}
