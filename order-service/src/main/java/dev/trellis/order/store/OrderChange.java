package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** What a saga step changes on its order, written in the step's transaction with an event. */
public record OrderChange(Optional<String> paymentId, Optional<String> shipmentId) {
  public OrderChange {
    requireNonNull(paymentId, "paymentId");
    requireNonNull(shipmentId, "shipmentId");
  }

  public static OrderChange none() {
    return new OrderChange(Optional.empty(), Optional.empty());
  }

  public static OrderChange paymentId(String paymentId) {
    return new OrderChange(Optional.of(paymentId), Optional.empty());
  }

  public static OrderChange shipmentId(String shipmentId) {
    return new OrderChange(Optional.empty(), Optional.of(shipmentId));
  }

  public boolean isEmpty() {
    return paymentId.isEmpty() && shipmentId.isEmpty();
  }
}
