package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;
import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.trellis.order.partner.PartnerUnavailableException;
import dev.trellis.order.store.LeaseLostException;
import dev.trellis.order.store.SagaJournal;
import dev.trellis.order.store.SagaRecord;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.order.store.StoredSaga;
import dev.trellis.platform.error.UnavailableException;
import io.grpc.Context;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives sagas to their end, each on a virtual thread of its own, detached from the call that started it: the
 * thread runs in a fork of the caller's gRPC Context (request id kept, cancellation and deadline not), so a caller
 * that leaves does not stop its saga.
 *
 * <p>Forward, each step runs under a timeout ({@link SagaSettings#stepTimeout()}), retried with backoff while its
 * partner or shard is unavailable, then is recorded with its local effect in one transaction ({@link SagaJournal}).
 * A step that fails turns the saga to compensation: the completed steps (and the failed one, when it may have done
 * part of its work) are undone latest first, each compensation retried with backoff until it succeeds, the lease
 * renewed between attempts: it never stops half-way silently. A cancellation requested meanwhile is seen at the
 * next step boundary. Every transition is a log line with the saga id and step, and a span.
 */
public final class SagaRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SagaRunner.class);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final SagaJournal journal;
  private final OrderSagaSteps steps;
  private final SagaSpans spans;
  private final SagaSettings settings;
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("saga-", 0).factory());
  private final ConcurrentMap<Long, CompletableFuture<StoredOrder>> running = new ConcurrentHashMap<>();
  private final Timeout<Object> stepTimeout;
  private final RetryPolicy<Object> whileUnavailable;
  private volatile boolean closed;
  /** How many writes in a row a saga follows to its bucket's new shard before it waits for a takeover instead. */
  private static final int MOVED_RETRIES = 50;

  SagaRunner(SagaJournal journal, OrderSagaSteps steps, SagaSpans spans, SagaSettings settings) {
    this.journal = requireNonNull(journal, "journal");
    this.steps = requireNonNull(steps, "steps");
    this.spans = requireNonNull(spans, "spans");
    this.settings = requireNonNull(settings, "settings");
    // The interrupt ends a partner call that hangs; the step then counts as failed with an unknown outcome.
    this.stepTimeout = Timeout.builder(settings.stepTimeout()).withInterrupt().build();
    this.whileUnavailable = RetryPolicy.builder()
        .handle(PartnerUnavailableException.class, UnavailableException.class)
        .withBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
        .withJitter(0.25)
        .withMaxRetries(-1)
        .abortIf((result, failure) -> closed)
        .build();
  }

  /**
   * Drives a saga this replica holds the lease of, detached from the caller, and ends {@code sagaSpan} with it.
   *
   * @return completes with the order once the saga has ended (CONFIRMED, REJECTED or CANCELLED); fails when this
   *     replica stopped driving it (lease lost, shutdown), and then another replica finishes it
   */
  CompletableFuture<StoredOrder> start(SagaRecord saga, Span sagaSpan) {
    return start(saga, sagaSpan, Context.current().fork());
  }

  private CompletableFuture<StoredOrder> start(SagaRecord saga, Span sagaSpan, Context context) {
    long id = saga.order().id();
    CompletableFuture<StoredOrder> done = new CompletableFuture<>();
    CompletableFuture<StoredOrder> existing = running.putIfAbsent(id, done);
    if (existing != null) {
      sagaSpan.end();
      return existing;
    }
    try {
      executor.execute(context.wrap(() -> drive(saga, sagaSpan, done)));
    } catch (RejectedExecutionException stopping) {
      running.remove(id, done);
      sagaSpan.end();
      releaseQuietly(saga.saga());
      done.completeExceptionally(new UnavailableException("the server is shutting down; another replica "
          + "finishes the order"));
    }
    return done;
  }

  /** Drives a saga this replica just leased (taken over, or turned to compensation by a cancellation). */
  public CompletableFuture<StoredOrder> resume(long orderId) {
    CompletableFuture<StoredOrder> local = running.get(orderId);
    if (local != null && !local.isDone()) {
      return local;
    }
    Optional<SagaRecord> saga = journal.load(orderId);
    if (saga.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("no saga for order " + orderId));
    }
    StoredSaga state = saga.get().saga();
    log.info("{} resumed at {} ({})", kv("saga_id", state.sagaId()),
        kv("step", state.currentStep().isEmpty() ? "the end" : state.currentStep()), kv("saga_status", state.status()));
    return start(saga.get(), spans.startRecovered(orderId), Context.ROOT);
  }

  /** The saga this replica is driving for an order, if it is. */
  public Optional<CompletableFuture<StoredOrder>> running(long orderId) {
    return Optional.ofNullable(running.get(orderId));
  }

  private void drive(SagaRecord start, Span sagaSpan, CompletableFuture<StoredOrder> done) {
    SagaRecord saga = start;
    try (Scope ignored = sagaSpan.makeCurrent()) {
      // Only the first step this process drives may have run before it (a process that died, a lost lease);
      // the later ones it starts itself.
      boolean taking = true;
      int movedInARow = 0;
      while (saga.saga().status().unfinished()) {
        try {
          saga = switch (saga.saga().status()) {
            case COMPENSATING -> backward(saga);
            default -> forward(saga, taking);
          };
          taking = false;
          movedInARow = 0;
        } catch (UnavailableException e) {
          if (!e.isBucketMoved() || closed || ++movedInARow > MOVED_RETRIES) {
            throw e;
          }
          // The order's bucket moved to another shard while this replica drove the saga: the refused write left
          // nothing, and the saga (its lease with it) is on the new owner. Go on there from what it recorded; the
          // step in progress may have run, as after a takeover (every partner call is idempotent).
          log.info("{} moved to another shard at {}; going on there", kv("saga_id", saga.saga().sagaId()),
              kv("step", saga.saga().currentStep()));
          saga = reloadAfter(e.retryDelay(), saga);
          taking = true;
        }
      }
      // Off the map before the answer goes out: a CancelOrder sent as soon as CONFIRMED arrives must drive its
      // compensation here, not find this finished future.
      running.remove(start.order().id(), done);
      done.complete(saga.order());
    } catch (LeaseLostException e) {
      log.warn("{} is driven by another replica now; this one stops at {}", kv("saga_id",
          saga.saga().sagaId()), kv("step", saga.saga().currentStep()));
      done.completeExceptionally(e);
    } catch (RuntimeException e) {
      if (closed) {
        log.info("{} paused at {}: the server is stopping; another replica takes it over",
            kv("saga_id", saga.saga().sagaId()), kv("step", saga.saga().currentStep()));
        releaseQuietly(saga.saga());
      } else {
        // A bug, or a shard down longer than all retries: the saga keeps its state and lease; when the lease runs
        // out, the recovery worker of some replica takes it over.
        log.error("{} stopped at {}; it is taken over when its lease runs out",
            kv("saga_id", saga.saga().sagaId()), kv("step", saga.saga().currentStep()), e);
      }
      SagaSpans.failed(sagaSpan, String.valueOf(e.getMessage()));
      done.completeExceptionally(e);
    } finally {
      running.remove(start.order().id(), done);
      sagaSpan.end();
    }
  }

  /**
   * One step forward, or the end: a cancellation, a failed step or the last step turns the saga.
   *
   * @param taking whether this is the first step this process drives, which an earlier driver may have run
   */
  private SagaRecord forward(SagaRecord saga, boolean taking) {
    StoredSaga state = saga.saga();
    if (state.cancelReason().isPresent()) {
      log.info("{} cancelled before {}; compensating", kv("saga_id", state.sagaId()),
          kv("step", state.currentStep()));
      // Taken over, the current step may have run already: its driver died (or lost its lease) between the step's
      // effect and its record. Then it is undone too; undoing what never happened leaves a tombstone (a VOIDED
      // charge, a RELEASED reservation), so a late action of that step does nothing either.
      Optional<OrderStep> mayHaveRun = !taking || state.currentStep().isEmpty() ? Optional.empty()
          : Optional.of(OrderStep.named(state.currentStep()));
      return journal.beginCompensation(saga, state.cancelReason().get(),
          OrderStep.compensationPlan(state.completedSteps(), mayHaveRun));
    }
    if (state.currentStep().isEmpty()) {
      return finish(saga);
    }
    OrderStep step = OrderStep.named(state.currentStep());
    StepOutcome outcome;
    try {
      outcome = runStep(step, saga);
    } catch (StepFailedException failed) {
      log.info("{} {} failed: {}; compensating", kv("saga_id", state.sagaId()),
          kv("step", step.stepName()), kv("failure", failed.getMessage()));
      return journal.beginCompensation(saga, failed.getMessage(), OrderStep.compensationPlan(
          state.completedSteps(), failed.undoThisStep() ? Optional.of(step) : Optional.empty()));
    }
    String next = step.next().map(OrderStep::stepName).orElse("");
    SagaRecord after = journal.stepCompleted(saga, step.stepName(), outcome.result(), next, outcome.change());
    log.info("{} {} completed, {}", kv("saga_id", state.sagaId()), kv("step", step.stepName()),
        kv("next_step", next));
    return after;
  }

  /** Every step done: the reserved units become sold, then saga COMPLETED and order CONFIRMED. */
  private SagaRecord finish(SagaRecord saga) {
    untilDone(saga, "confirm_stock", () -> {
      steps.confirmStock(saga);
      return null;
    });
    Optional<SagaRecord> completed = journal.complete(saga);
    if (completed.isEmpty()) {
      // Cancelled just before the end: compensate everything instead.
      return journal.load(saga.order().id()).orElseThrow();
    }
    log.info("{} completed: {} CONFIRMED", kv("saga_id", saga.saga().sagaId()),
        kv("order_id", saga.order().id()));
    return completed.get();
  }

  /** The next compensation of the plan, or the end. */
  private SagaRecord backward(SagaRecord saga) {
    StoredSaga state = saga.saga();
    List<String> left = state.compensationPlan().stream()
        .filter(c -> !state.compensatedSteps().contains(c)).toList();
    if (left.isEmpty()) {
      SagaRecord failed = journal.fail(saga);
      log.info("{} failed: {} {} ({})", kv("saga_id", state.sagaId()), kv("order_id", saga.order().id()),
          kv("order_status", failed.order().status()), kv("reason", failed.order().reason()));
      return failed;
    }
    String compensation = left.getFirst();
    OrderStep step = OrderStep.compensatedBy(compensation);
    Span span = spans.start(compensation, saga.order().id());
    try (Scope ignored = span.makeCurrent()) {
      untilDone(saga, compensation, () -> {
        steps.compensate(step, saga);
        return null;
      });
    } finally {
      span.end();
    }
    String next = left.size() > 1 ? left.get(1) : "";
    SagaRecord after = journal.stepCompensated(saga, compensation, next);
    log.info("{} {} compensated by {}", kv("saga_id", state.sagaId()), kv("step", step.stepName()),
        kv("compensation", compensation));
    return after;
  }

  /**
   * A step's action under the step timeout, retried while its partner is unavailable, in a span of its name.
   *
   * @throws StepFailedException when it is refused, times out or fails otherwise
   */
  private StepOutcome runStep(OrderStep step, SagaRecord saga) {
    Span span = spans.start(step.stepName(), saga.order().id());
    try (Scope ignored = span.makeCurrent()) {
      return Failsafe.with(stepTimeout, whileUnavailable).get(() -> steps.run(step, saga));
    } catch (StepFailedException e) {
      SagaSpans.failed(span, e.getMessage());
      throw e;
    } catch (TimeoutExceededException e) {
      Thread.interrupted(); // the timeout interrupted this thread to end the call; the saga goes on
      String reason = step.stepName() + " did not finish within " + settings.stepTimeout().toMillis() + " ms";
      SagaSpans.failed(span, reason);
      throw new StepFailedException(reason, true);
    } catch (FailsafeException e) {
      throw new IllegalStateException(e.getCause()); // a checked exception: no step throws one
    } catch (RuntimeException e) {
      if (closed) {
        throw e;
      }
      // Unplanned (a bug in a step): its effect is unknown, so it is undone like a timeout.
      log.error("{} {} failed unexpectedly", kv("saga_id", saga.saga().sagaId()),
          kv("step", step.stepName()), e);
      SagaSpans.failed(span, e.toString());
      throw new StepFailedException(step.stepName() + " failed", true);
    } finally {
      span.end();
    }
  }

  /**
   * Runs {@code work} until it succeeds: each attempt under the step timeout, with growing pauses between
   * attempts, the lease renewed before each retry. Stops only when the lease is lost or the server stops.
   */
  private void untilDone(SagaRecord saga, String what, Supplier<Void> work) {
    RetryPolicy<Object> forever = RetryPolicy.builder()
        .handleIf(failure -> !(failure instanceof LeaseLostException))
        .withBackoff(Duration.ofMillis(200), settings.compensationBackoffMax())
        .withJitter(0.25)
        .withMaxRetries(-1)
        .abortIf((result, failure) -> closed)
        .onRetry(e -> log.warn("{} {}: attempt {} failed ({}); trying again", kv("saga_id",
            saga.saga().sagaId()), kv("step", what), e.getAttemptCount(), String.valueOf(e.getLastException())))
        .build();
    try {
      Failsafe.with(forever, stepTimeout).get(context -> {
        if (context.getAttemptCount() > 0) {
          journal.renewLease(saga.saga());
        }
        return work.get();
      });
    } catch (TimeoutExceededException e) {
      Thread.interrupted();
      throw e;
    } catch (FailsafeException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  /** The saga as stored, read again once the directory had time to name the bucket's new owner. */
  private SagaRecord reloadAfter(Duration delay, SagaRecord saga) {
    try {
      Thread.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while following a moved saga", e);
    }
    // Read on the shard the directory names now; until it is refreshed that may still be the old one, whose next
    // write is refused again (and its rows may be gone after the mover's grace: then simply try again).
    return journal.load(saga.order().id()).orElse(saga);
  }

  private void releaseQuietly(StoredSaga saga) {
    try {
      journal.releaseLease(saga);
    } catch (RuntimeException e) {
      log.warn("cannot give up the lease of saga {}: {}", saga.sagaId(), e.toString());
    }
  }

  /**
   * Stops: sagas still running get a few seconds to reach their end; the rest stop at their current step and give
   * their lease up, so another replica takes them over at once.
   */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        closed = true;
        executor.shutdownNow();
        executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
  }
}
