package dev.trellis.order;

import dev.trellis.order.store.InventoryStore;
import java.util.List;

/**
 * The demo catalog of the local mesh, seeded when {@code TRELLIS_DEMO_DATA} is set: a few SKUs with stock and
 * prices, each created only where it is missing, so a restart keeps the stock that orders moved.
 */
final class DemoCatalog {
  /** One SKU of the catalog. */
  record Item(String sku, long available, long unitPriceCents) {}

  static final List<Item> ITEMS = List.of(
      new Item("mug-classic", 100, 1250),
      new Item("tee-black-m", 50, 2500),
      new Item("sticker-pack", 1000, 200),
      new Item("hoodie-grey-l", 5, 5500));

  private DemoCatalog() {}

  /** Creates the SKUs that do not exist yet; returns how many it created. */
  static int seed(InventoryStore inventory) {
    int created = 0;
    for (Item item : ITEMS) {
      if (inventory.addIfMissing(item.sku(), item.available(), item.unitPriceCents())) {
        created++;
      }
    }
    return created;
  }
}
