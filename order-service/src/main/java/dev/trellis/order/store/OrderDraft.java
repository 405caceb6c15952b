package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.rules.ShippingAddress;
import java.util.List;

/**
 * An order about to be stored with its saga, and the idempotency key that must be new for it.
 *
 * @param lines priced lines
 * @param requestHash the hash of the request without its key, stored with the key
 */
public record OrderDraft(long userId, List<OrderLine> lines, ShippingAddress address, String idempotencyKey,
    byte[] requestHash) {
  public OrderDraft {
    lines = List.copyOf(lines);
    requireNonNull(address, "address");
    requireNonNull(idempotencyKey, "idempotencyKey");
    requireNonNull(requestHash, "requestHash");
  }

  public long totalCents() {
    long total = 0;
    for (OrderLine line : lines) {
      total = Math.addExact(total, line.totalCents());
    }
    return total;
  }
}
