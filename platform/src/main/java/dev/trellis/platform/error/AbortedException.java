package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * A concurrent change or call won a race; the whole call may be retried: ABORTED, with a google.rpc.RetryInfo when
 * the server knows when a retry can work.
 */
public final class AbortedException extends ApiException {
  private final Duration retryDelay;

  public AbortedException(String message) {
    super("ABORTED", message);
    this.retryDelay = null;
  }

  /**
   * @param reason the ErrorInfo reason clients may switch on, such as {@code IDEMPOTENCY_KEY_IN_USE}
   * @param retryDelay when a retry can work
   */
  public AbortedException(String reason, String message, Duration retryDelay) {
    super(reason, message);
    this.retryDelay = requireNonNull(retryDelay, "retryDelay");
  }

  /** When to retry, if the server knows. */
  public Optional<Duration> retryDelay() {
    return Optional.ofNullable(retryDelay);
  }
}
