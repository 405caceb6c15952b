package dev.trellis.order.partner;

import dev.trellis.order.store.OrderLine;
import dev.trellis.order.rules.ShippingAddress;
import java.util.List;

/**
 * The carrier. Every call carries an idempotency key (the saga id and step) and the order id as the shipper's
 * reference.
 */
public interface ShipmentService {
  /**
   * Books the shipment of {@code lines} to {@code address}, once per key; a repeat returns the same shipment id.
   *
   * @return the carrier's shipment id
   * @throws PartnerRefusedException when the carrier does not serve the address (or the shipment was cancelled
   *     before it came)
   * @throws PartnerUnavailableException when the carrier cannot answer now
   */
  String create(String idempotencyKey, long orderId, ShippingAddress address, List<OrderLine> lines);

  /**
   * Cancels the shipment booked with {@code shipmentKey}; a no-op that also stops a later booking when there was
   * none, and a no-op when repeated.
   *
   * @throws PartnerUnavailableException when the carrier cannot answer now
   */
  void cancel(String shipmentKey, long orderId);
}
