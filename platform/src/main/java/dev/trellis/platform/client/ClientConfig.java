package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * How calls to another service are protected ({@link ResilientCalls}), read once at start.
 *
 * @param retries whether calls are retried here at all; turn off ({@value #RETRIES}=false) when the mesh retries,
 *     or the attempts multiply (3 x 3 = 9)
 * @param maxAttempts attempts per call, the first included
 * @param backoffMin the delay before the first retry; it doubles per retry, with jitter
 * @param backoffMax the longest delay between retries
 * @param breakerFailures consecutive failures that open the circuit breaker
 * @param breakerDelay how long the breaker stays open before letting a trial call through
 * @param maxConcurrentCalls the bulkhead: calls in flight at once to this dependency
 * @param bulkheadWait how long a call waits for a free slot before RESOURCE_EXHAUSTED
 * @param timeout how long one attempt of a unary call may take
 */
public record ClientConfig(
    boolean retries,
    int maxAttempts,
    Duration backoffMin,
    Duration backoffMax,
    int breakerFailures,
    Duration breakerDelay,
    int maxConcurrentCalls,
    Duration bulkheadWait,
    Duration timeout) {
  public static final String RETRIES = "TRELLIS_CLIENT_RETRIES";
  public static final String MAX_ATTEMPTS = "TRELLIS_CLIENT_MAX_ATTEMPTS";
  public static final String BACKOFF_MIN = "TRELLIS_CLIENT_BACKOFF_MIN";
  public static final String BACKOFF_MAX = "TRELLIS_CLIENT_BACKOFF_MAX";
  public static final String BREAKER_FAILURES = "TRELLIS_CLIENT_BREAKER_FAILURES";
  public static final String BREAKER_DELAY = "TRELLIS_CLIENT_BREAKER_DELAY";
  public static final String MAX_CONCURRENT = "TRELLIS_CLIENT_MAX_CONCURRENT";
  public static final String BULKHEAD_WAIT = "TRELLIS_CLIENT_BULKHEAD_WAIT";
  public static final String TIMEOUT = "TRELLIS_CLIENT_TIMEOUT";

  public ClientConfig {
    Require.between(MAX_ATTEMPTS, maxAttempts, 1, 10);
    Require.positive(BACKOFF_MIN, backoffMin);
    Require.that(requireNonNull(backoffMax, "backoffMax").compareTo(backoffMin) >= 0,
        BACKOFF_MIN + " must be positive and at most " + BACKOFF_MAX);
    Require.between(BREAKER_FAILURES, breakerFailures, 1, 1000);
    Require.positive(BREAKER_DELAY, breakerDelay);
    Require.between(MAX_CONCURRENT, maxConcurrentCalls, 1, 100_000);
    Require.atLeast(BULKHEAD_WAIT, bulkheadWait, Duration.ZERO);
    Require.positive(TIMEOUT, timeout);
  }

  /** Retries on, 3 attempts, backoff 100 ms to 1 s; breaker 5 failures / 30 s; 100 concurrent calls; 5 s timeout. */
  public static ClientConfig defaults() {
    return fromSettings(Settings.of(java.util.Map.of()));
  }

  public static ClientConfig fromSettings(Settings settings) {
    return new ClientConfig(
        settings.bool(RETRIES, true),
        settings.integer(MAX_ATTEMPTS, 3),
        settings.duration(BACKOFF_MIN, Duration.ofMillis(100)),
        settings.duration(BACKOFF_MAX, Duration.ofSeconds(1)),
        settings.integer(BREAKER_FAILURES, 5),
        settings.duration(BREAKER_DELAY, Duration.ofSeconds(30)),
        settings.integer(MAX_CONCURRENT, 100),
        settings.duration(BULKHEAD_WAIT, Duration.ZERO),
        settings.duration(TIMEOUT, Duration.ofSeconds(5)));
  }
}
