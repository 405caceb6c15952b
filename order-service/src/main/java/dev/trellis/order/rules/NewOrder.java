package dev.trellis.order.rules;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An order to place, already validated: 1 to 100 distinct SKUs, sane quantities, a token, an address, and the
 * idempotency key (from request_id or the idempotency-key metadata).
 */
public record NewOrder(long userId, List<OrderItem> items, String paymentToken, ShippingAddress address,
    String idempotencyKey) {
  public NewOrder {
    items = List.copyOf(items);
    requireNonNull(paymentToken, "paymentToken");
    requireNonNull(address, "address");
    requireNonNull(idempotencyKey, "idempotencyKey");
  }

  public List<String> skus() {
    return items.stream().map(OrderItem::sku).toList();
  }
}
