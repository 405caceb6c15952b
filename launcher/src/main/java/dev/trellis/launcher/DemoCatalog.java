package dev.trellis.launcher;

import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.platform.client.BearerToken;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The demo catalog of the local mesh: a few SKUs with stock and prices, set through InventoryService as an admin
 * would, once: a SKU that exists keeps its stock (orders moved it), so a restart changes nothing.
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

  /** Sets the SKUs that do not exist yet on the order-service at {@code port}; returns how many it set. */
  static int seed(int port, String adminToken) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      InventoryServiceGrpc.InventoryServiceBlockingStub inventory = InventoryServiceGrpc.newBlockingStub(channel)
          .withCallCredentials(new BearerToken(adminToken));
      int set = 0;
      for (Item item : ITEMS) {
        try {
          inventory.withDeadlineAfter(30, TimeUnit.SECONDS)
              .getStock(GetStockRequest.newBuilder().setSku(item.sku()).build());
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
            throw e;
          }
          inventory.withDeadlineAfter(30, TimeUnit.SECONDS).setStock(SetStockRequest.newBuilder()
              .setSku(item.sku()).setAvailable(item.available()).setUnitPriceCents(item.unitPriceCents()).build());
          set++;
        }
      }
      return set;
    } finally {
      channel.shutdownNow();
    }
  }

  /** For the banner: "mug-classic $12.50, ...". */
  static String describe() {
    return ITEMS.stream()
        .map(i -> String.format(Locale.ROOT, "%s $%d.%02d", i.sku(), i.unitPriceCents() / 100,
            i.unitPriceCents() % 100))
        .collect(Collectors.joining(", "));
  }
}
