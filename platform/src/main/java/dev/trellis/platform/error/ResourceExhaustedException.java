package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** A limit was hit: RESOURCE_EXHAUSTED with a google.rpc.RetryInfo telling when trying again can work. */
public final class ResourceExhaustedException extends ApiException {
  private final Duration retryDelay;

  public ResourceExhaustedException(String message, Duration retryDelay) {
    super("RESOURCE_EXHAUSTED", message);
    this.retryDelay = requireNonNull(retryDelay, "retryDelay");
  }

  public Duration retryDelay() {
    return retryDelay;
  }
}
