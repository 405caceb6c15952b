package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

/**
 * One line of an order.
 *
 * @param unitPriceCents the price of one unit when the order was placed
 */
public record OrderLine(String sku, int quantity, long unitPriceCents) {
  public OrderLine {
    requireNonNull(sku, "sku");
  }

  public long totalCents() {
    return Math.multiplyExact(quantity, unitPriceCents);
  }
}
