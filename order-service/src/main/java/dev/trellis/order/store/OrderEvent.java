package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One committed change to an order, as the outbox recorded it.
 *
 * @param order the order after the change
 * @param at when the change was committed
 */
public record OrderEvent(StoredOrder order, Instant at) {
  public OrderEvent {
    requireNonNull(order, "order");
    requireNonNull(at, "at");
  }

  public long orderId() {
    return order.id();
  }
}
