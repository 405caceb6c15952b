package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.failsafe.Bulkhead;
import dev.failsafe.BulkheadFullException;
import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.Policy;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ResilientCalls} on Failsafe: the policies of one dependency, shared by all its calls. */
final class FailsafeCalls implements ResilientCalls {
  private static final Logger log = LoggerFactory.getLogger(FailsafeCalls.class);

  private final String dependency;
  private final ClientConfig config;
  private final CircuitBreaker<Object> breaker;
  private final Bulkhead<Object> bulkhead;
  private final Timeout<Object> timeout;

  FailsafeCalls(String dependency, ClientConfig config) {
    this.dependency = dependency;
    this.config = config;
    this.breaker = CircuitBreaker.builder()
        .handleIf(FailsafeCalls::isDependencyFailure)
        .withFailureThreshold(config.breakerFailures())
        .withDelay(config.breakerDelay())
        // Operators (and tests) see the breaker move: while it is open, calls fail at once without the network.
        .onOpen(e -> log.warn("circuit breaker for {} opened after {} failures in a row; calls fail fast for {} ms",
            dependency, config.breakerFailures(), config.breakerDelay().toMillis()))
        .onHalfOpen(e -> log.info("circuit breaker for {} half-open: a trial call goes through", dependency))
        .onClose(e -> log.info("circuit breaker for {} closed", dependency))
        .build();
    this.bulkhead = Bulkhead.builder(config.maxConcurrentCalls()).withMaxWaitTime(config.bulkheadWait()).build();
    // The interrupt makes a blocking stub cancel its call, so the server stops working on it too.
    this.timeout = Timeout.builder(config.timeout()).withInterrupt().build();
  }

  @Override
  public <T> T unary(Supplier<T> call) {
    requireNonNull(call, "call");
    List<Policy<Object>> policies = policies(() -> true);
    policies.add(timeout);
    try {
      return Failsafe.with(policies).get(call::get);
    } catch (FailsafeException e) {
      throw translate(e);
    }
  }

  @Override
  public <T> void serverStream(Supplier<Iterator<T>> call, Consumer<? super T> onResponse) {
    requireNonNull(call, "call");
    requireNonNull(onResponse, "onResponse");
    AtomicBoolean received = new AtomicBoolean();
    try {
      Failsafe.with(policies(() -> !received.get())).run(() -> {
        // Cancelling this context on the way out ends the call even when onResponse throws mid-stream.
        try (Context.CancellableContext attempt = Context.current().withCancellation()) {
          attempt.run(() -> {
            Iterator<T> responses = call.get();
            while (responses.hasNext()) {
              T response = responses.next();
              received.set(true);
              onResponse.accept(response);
            }
          });
        }
      });
    } catch (FailsafeException e) {
      throw translate(e);
    }
  }

  /** Retry (when on), circuit breaker and bulkhead, outermost first. */
  private List<Policy<Object>> policies(BooleanSupplier mayRetry) {
    List<Policy<Object>> policies = new ArrayList<>(4);
    if (config.retries() && config.maxAttempts() > 1) {
      policies.add(RetryPolicy.builder()
          .handleIf(failure -> isUnavailable(failure) && mayRetry.getAsBoolean())
          .withMaxAttempts(config.maxAttempts())
          .withBackoff(config.backoffMin(), config.backoffMax(), 2.0)
          .withJitter(0.25)
          .build());
    }
    policies.add(breaker);
    policies.add(bulkhead);
    return policies;
  }

  private StatusRuntimeException translate(FailsafeException e) {
    return switch (e) {
      case CircuitBreakerOpenException open -> Status.UNAVAILABLE
          .withDescription(dependency + " is unavailable after repeated failures; retry later")
          .asRuntimeException();
      case BulkheadFullException full -> Status.RESOURCE_EXHAUSTED
          .withDescription("too many calls in flight to " + dependency + "; retry later")
          .asRuntimeException();
      case TimeoutExceededException timedOut -> Status.DEADLINE_EXCEEDED
          .withDescription(dependency + " did not answer within " + config.timeout().toMillis() + " ms")
          .asRuntimeException();
      default -> Status.UNKNOWN.withDescription("call to " + dependency + " failed").withCause(e)
          .asRuntimeException();
    };
  }

  private static boolean isUnavailable(Throwable failure) {
    return failure instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE
        && !callerGone();
  }

  /**
   * The call runs on the caller's thread: its Context is cancelled once the caller cancels or its deadline passes.
   * The deadline is read too: the call's own timer may end it DEADLINE_EXCEEDED a moment before the Context's timer,
   * on another thread, marks the Context cancelled.
   */
  private static boolean callerGone() {
    Context context = Context.current();
    Deadline deadline = context.getDeadline();
    return context.isCancelled() || deadline != null && deadline.isExpired();
  }

  /**
   * Failures that say the dependency is unwell; answers such as NOT_FOUND or PERMISSION_DENIED do not count, and
   * neither does a call ended by its own caller: a caller whose deadline passed (it travels downstream) or who
   * cancelled says nothing about the dependency, and a few hurried callers must not open the circuit for all.
   */
  private static boolean isDependencyFailure(Throwable failure) {
    if (callerGone()) {
      return false;
    }
    if (failure instanceof TimeoutExceededException) {
      return true;
    }
    if (!(failure instanceof StatusRuntimeException e)) {
      return false;
    }
    return switch (e.getStatus().getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN -> true;
      default -> false;
    };
  }
}
