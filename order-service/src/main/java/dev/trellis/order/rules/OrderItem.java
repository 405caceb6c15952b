package dev.trellis.order.rules;

import static java.util.Objects.requireNonNull;

/** One line asked for: a SKU and how many units; the price comes from inventory when the order is placed. */
public record OrderItem(String sku, int quantity) {
  public OrderItem {
    requireNonNull(sku, "sku");
  }
}
