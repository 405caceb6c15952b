package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The saga of one order, as stored: written after every step in the step's transaction.
 *
 * @param currentStep the step or compensation to run next; empty once the saga has ended
 * @param compensationPlan the steps to undo, in order, once compensation began
 * @param failure why it compensates: the reason its order ends with
 * @param cancelReason set when the order was cancelled: the saga compensates and the order ends CANCELLED
 */
public record StoredSaga(long orderId, SagaStatus status, String currentStep, List<String> completedSteps,
    List<String> compensationPlan, List<String> compensatedSteps, SagaContext context, String failure,
    Optional<String> cancelReason) {
  public StoredSaga {
    requireNonNull(status, "status");
    requireNonNull(currentStep, "currentStep");
    completedSteps = List.copyOf(completedSteps);
    compensationPlan = List.copyOf(compensationPlan);
    compensatedSteps = List.copyOf(compensatedSteps);
    requireNonNull(context, "context");
    requireNonNull(failure, "failure");
    requireNonNull(cancelReason, "cancelReason");
  }

  /** The saga id of an order: {@code order_<id>}; partners see it in idempotency keys. */
  public static String sagaId(long orderId) {
    return "order_" + orderId;
  }

  public String sagaId() {
    return sagaId(orderId);
  }

  /** This saga after a forward step: {@code step} done with its result, {@code next} to run. */
  StoredSaga stepDone(String step, Map<String, String> result, String next) {
    List<String> completed = new ArrayList<>(completedSteps);
    completed.add(step);
    return new StoredSaga(orderId, status, next, completed, compensationPlan, compensatedSteps,
        context.with(step, result), failure, cancelReason);
  }

  /** This saga turned to compensation. */
  StoredSaga compensating(String why, List<String> plan) {
    return new StoredSaga(orderId, SagaStatus.COMPENSATING, plan.isEmpty() ? "" : plan.getFirst(), completedSteps,
        plan, compensatedSteps, context, why, cancelReason);
  }

  /** This saga after a compensation: {@code compensation} done, {@code next} to run. */
  StoredSaga compensationDone(String compensation, String next) {
    List<String> compensated = new ArrayList<>(compensatedSteps);
    compensated.add(compensation);
    return new StoredSaga(orderId, status, next, completedSteps, compensationPlan, compensated, context, failure,
        cancelReason);
  }

  /** This saga ended with {@code finalStatus}. */
  StoredSaga ended(SagaStatus finalStatus) {
    return new StoredSaga(orderId, finalStatus, "", completedSteps, compensationPlan, compensatedSteps, context,
        failure, cancelReason);
  }

  /** This saga with the cancellation request as the database holds it now. */
  StoredSaga withCancelReason(Optional<String> reason) {
    return new StoredSaga(orderId, status, currentStep, completedSteps, compensationPlan, compensatedSteps, context,
        failure, reason);
  }
}
