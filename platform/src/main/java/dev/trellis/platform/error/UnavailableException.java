package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A dependency (a shard, a downstream service) cannot be reached now: UNAVAILABLE, which clients and meshes
 * retry. The message names the kind of dependency ("a user shard"), never a host, URL or driver error.
 */
public final class UnavailableException extends ApiException {
  private final Duration retryDelay;

  public UnavailableException(String message, Duration retryDelay) {
    super("UNAVAILABLE", message);
    this.retryDelay = requireNonNull(retryDelay, "retryDelay");
  }

  public UnavailableException(String message) {
    this(message, Duration.ofSeconds(1));
  }

  public Duration retryDelay() {
    return retryDelay;
  }
}
