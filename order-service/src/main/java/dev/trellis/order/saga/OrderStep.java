package dev.trellis.order.saga;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The steps of an order's saga, in the order they run, each with the compensation that undoes it. The names are
 * what the saga row, the logs and the spans show.
 */
public enum OrderStep {
  VERIFY_USER("verify_user", ""),
  RESERVE_INVENTORY("reserve_inventory", "release_inventory"),
  PROCESS_PAYMENT("process_payment", "refund_payment"),
  CREATE_SHIPMENT("create_shipment", "cancel_shipment"),
  SEND_NOTIFICATION("send_notification", "send_cancellation");

  private final String stepName;
  private final String compensationName;

  OrderStep(String stepName, String compensationName) {
    this.stepName = stepName;
    this.compensationName = compensationName;
  }

  public String stepName() {
    return stepName;
  }

  /** The name of the compensation; empty for a step with nothing to undo (verify_user). */
  public String compensationName() {
    return compensationName;
  }

  /** The step after this one, if any. */
  public Optional<OrderStep> next() {
    int next = ordinal() + 1;
    return next < values().length ? Optional.of(values()[next]) : Optional.empty();
  }

  public static OrderStep named(String stepName) {
    return Arrays.stream(values()).filter(s -> s.stepName.equals(stepName)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no saga step named '" + stepName + "'"));
  }

  public static OrderStep compensatedBy(String compensationName) {
    return Arrays.stream(values())
        .filter(s -> !s.compensationName.isEmpty() && s.compensationName.equals(compensationName))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no saga step compensated by '" + compensationName + "'"));
  }

  /**
   * What to undo, in order: the compensations of the completed steps (and of the failed one, when it may have done
   * part of its work), latest first.
   */
  public static List<String> compensationPlan(List<String> completed, Optional<OrderStep> failedToUndo) {
    List<OrderStep> done = new ArrayList<>(completed.stream().map(OrderStep::named).toList());
    failedToUndo.ifPresent(done::add);
    List<String> plan = new ArrayList<>();
    for (OrderStep step : done.reversed()) {
      if (!step.compensationName.isEmpty() && !plan.contains(step.compensationName)) {
        plan.add(step.compensationName);
      }
    }
    return plan;
  }

  /** The plan that cancels a saga whose steps all completed. */
  public static List<String> cancellationPlan(List<String> completed) {
    return compensationPlan(completed, Optional.empty());
  }
}
