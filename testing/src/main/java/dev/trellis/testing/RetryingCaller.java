package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What a well-behaved client of a resharding mesh does: a call that fails retryably (UNAVAILABLE, ABORTED) is
 * repeated as it was, after the RetryInfo delay when the status carries one (at most 500 ms), until it succeeds or
 * {@code giveUpAfter} has passed; any other status is a failure. It counts what it saw, for a load test's
 * assertions ("clients saw only retryable statuses, and their retries succeeded"). Thread-safe: one per load.
 */
public final class RetryingCaller {
  private static final Duration MAX_DELAY = Duration.ofMillis(500);
  private static final Duration DELAY_WITHOUT_RETRY_INFO = Duration.ofMillis(50);

  private final Duration giveUpAfter;
  private final AtomicInteger acked = new AtomicInteger();
  private final AtomicInteger retried = new AtomicInteger();
  private final AtomicInteger withRetryInfo = new AtomicInteger();
  private final List<String> failures = new CopyOnWriteArrayList<>();

  public RetryingCaller(Duration giveUpAfter) {
    this.giveUpAfter = requireNonNull(giveUpAfter, "giveUpAfter");
  }

  /** The call's result once it succeeded; null, with a failure recorded, when it failed otherwise or for too long. */
  public <T> T call(Supplier<T> call) {
    requireNonNull(call, "call");
    long deadline = System.nanoTime() + giveUpAfter.toNanos();
    while (System.nanoTime() - deadline < 0) {
      try {
        T result = call.get();
        acked.incrementAndGet();
        return result;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.ABORTED) {
          failures.add(code + ": " + e.getStatus().getDescription());
          return null;
        }
        retried.incrementAndGet();
        Duration delay = DELAY_WITHOUT_RETRY_INFO;
        try {
          delay = ErrorDetails.retryDelay(e.getStatus(), e.getTrailers());
          withRetryInfo.incrementAndGet();
        } catch (AssertionError | RuntimeException noRetryInfo) {
          // no RetryInfo: back off a little anyway
        }
        try {
          Thread.sleep(delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          failures.add("interrupted while retrying");
          return null;
        }
      }
    }
    failures.add("retryable failures for " + giveUpAfter.toSeconds() + " s in a row");
    return null;
  }

  /** Calls that succeeded. */
  public int acked() {
    return acked.get();
  }

  /** Retryable failures seen (each was retried). */
  public int retried() {
    return retried.get();
  }

  /** Retryable failures that carried a RetryInfo. */
  public int withRetryInfo() {
    return withRetryInfo.get();
  }

  /** The non-retryable statuses seen, and calls given up: empty when every call succeeded in the end. */
  public List<String> failures() {
    return List.copyOf(failures);
  }
}
