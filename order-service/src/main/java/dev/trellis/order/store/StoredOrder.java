package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.rules.ShippingAddress;
import java.time.Instant;
import java.util.List;

/**
 * An order as stored.
 *
 * @param reason why it was cancelled or rejected; empty otherwise
 * @param paymentId the gateway's charge, once taken; kept after a refund
 * @param shipmentId the carrier's shipment, once created; kept after a cancellation
 * @param version raised by every change; a watcher skips a change older than what it has shown
 */
public record StoredOrder(long id, long userId, OrderStatus status, String reason, List<OrderLine> lines,
    long totalCents, String currency, ShippingAddress address, String paymentId, String shipmentId, long version,
    Instant createdAt, Instant updatedAt) {
  public StoredOrder {
    requireNonNull(status, "status");
    requireNonNull(reason, "reason");
    lines = List.copyOf(lines);
    requireNonNull(currency, "currency");
    requireNonNull(address, "address");
    requireNonNull(paymentId, "paymentId");
    requireNonNull(shipmentId, "shipmentId");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }

  /** This order after a change written at {@code at}: the given fields, its version one higher. */
  StoredOrder changed(OrderStatus newStatus, String newReason, String newPaymentId, String newShipmentId,
      Instant at) {
    return new StoredOrder(id, userId, newStatus, newReason, lines, totalCents, currency, address, newPaymentId,
        newShipmentId, version + 1, createdAt, at);
  }

  /** Whether its saga has ended one way or the other: the answer CreateOrder waits for. */
  public boolean settled() {
    return status != OrderStatus.PENDING;
  }
}
