package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

/**
 * The stock of one SKU.
 *
 * @param available units free to reserve
 * @param reserved units held by orders whose saga has not ended
 * @param sold units of confirmed orders
 */
public record Stock(String sku, long available, long reserved, long sold, long unitPriceCents) {
  public Stock {
    requireNonNull(sku, "sku");
  }
}
