package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import java.util.List;
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
}
