package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** Builds {@link ResilientCalls} for one dependency; starts from {@link ClientConfig#defaults()}. */
public final class ResilientCallsBuilder {
  private final String dependency;
  private boolean retries;
  private int maxAttempts;
  private Duration backoffMin;
  private Duration backoffMax;
  private int breakerFailures;
  private Duration breakerDelay;
  private int maxConcurrentCalls;
  private Duration bulkheadWait;
  private Duration timeout;

  ResilientCallsBuilder(String dependency) {
    this.dependency = requireNonNull(dependency, "dependency");
    withConfig(ClientConfig.defaults());
  }

  /** Takes every setting from {@code config}. */
  public ResilientCallsBuilder withConfig(ClientConfig config) {
    requireNonNull(config, "config");
    retries = config.retries();
    maxAttempts = config.maxAttempts();
    backoffMin = config.backoffMin();
    backoffMax = config.backoffMax();
    breakerFailures = config.breakerFailures();
    breakerDelay = config.breakerDelay();
    maxConcurrentCalls = config.maxConcurrentCalls();
    bulkheadWait = config.bulkheadWait();
    timeout = config.timeout();
    return this;
  }

  /** Turns app-level retries on or off (off when the mesh retries). */
  public ResilientCallsBuilder withRetries(boolean retries) {
    this.retries = retries;
    return this;
  }

  /** Attempts per call, and the backoff between them (doubling from {@code min} up to {@code max}). */
  public ResilientCallsBuilder withRetries(int maxAttempts, Duration min, Duration max) {
    this.maxAttempts = maxAttempts;
    this.backoffMin = requireNonNull(min, "min");
    this.backoffMax = requireNonNull(max, "max");
    return this;
  }

  /** Opens after {@code failures} consecutive failures; lets a trial call through after {@code delay}. */
  public ResilientCallsBuilder withCircuitBreaker(int failures, Duration delay) {
    this.breakerFailures = failures;
    this.breakerDelay = requireNonNull(delay, "delay");
    return this;
  }

  /** At most {@code maxConcurrentCalls} in flight; others wait up to {@code maxWait}, then RESOURCE_EXHAUSTED. */
  public ResilientCallsBuilder withBulkhead(int maxConcurrentCalls, Duration maxWait) {
    this.maxConcurrentCalls = maxConcurrentCalls;
    this.bulkheadWait = requireNonNull(maxWait, "maxWait");
    return this;
  }

  /** The longest one attempt of a unary call may take. */
  public ResilientCallsBuilder withTimeout(Duration timeout) {
    this.timeout = requireNonNull(timeout, "timeout");
    return this;
  }

  public ResilientCalls build() {
    return new FailsafeCalls(dependency, new ClientConfig(retries, maxAttempts, backoffMin, backoffMax,
        breakerFailures, breakerDelay, maxConcurrentCalls, bulkheadWait, timeout));
  }
}
