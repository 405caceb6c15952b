package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CancelOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.ListOrdersRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.TrackOrdersRequest;
import dev.trellis.order.v1.WatchOrderRequest;
import dev.trellis.testing.RequestFuzz;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A bounded random-bytes fuzz ({@link RequestFuzz}) of a running order-service (calling the real user-service) over
 * Netty on real PostgreSQL: every method of OrderService and InventoryService gets random bytes and mutations of
 * well-formed requests naming a real user, order and SKU, as admin. Every answer must be a deliberate status, never
 * UNKNOWN or INTERNAL, also when a mutated CreateOrder runs a saga.
 */
class RequestFuzzIT {
  private static final int CALLS_PER_METHOD = 60;
  private static final Duration BUDGET = Duration.ofSeconds(60);

  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();

  @Test
  void randomBytesToEveryMethodGetAProperStatus() {
    long user = fixture.createUser();
    String sku = fixture.newSku(1_000, 250);
    Order placed = fixture.first().orders(fixture.admin()).createOrder(order(user, sku).build());
    Map<String, List<byte[]>> orderRequests = Map.of(
        "CreateOrder", List.of(order(user, sku).build().toByteArray()),
        "GetOrder", List.of(GetOrderRequest.newBuilder().setId(placed.getId()).build().toByteArray()),
        "ListOrders", List.of(ListOrdersRequest.newBuilder().setUserId(user).setPageSize(5).build().toByteArray()),
        "CancelOrder", List.of(CancelOrderRequest.newBuilder().setId(placed.getId()).setReason("fuzz").build()
            .toByteArray()),
        "WatchOrder", List.of(WatchOrderRequest.newBuilder().setId(placed.getId()).build().toByteArray()),
        "TrackOrders", List.of(TrackOrdersRequest.newBuilder().setAddOrderId(placed.getId()).build().toByteArray(),
            TrackOrdersRequest.newBuilder().setRemoveOrderId(placed.getId()).build().toByteArray()));
    Map<String, List<byte[]>> inventoryRequests = Map.of(
        "GetStock", List.of(GetStockRequest.newBuilder().setSku(sku).build().toByteArray()),
        "SetStock", List.of(SetStockRequest.newBuilder().setSku(sku).setAvailable(1_000).setUnitPriceCents(250)
            .build().toByteArray()));

    Map<String, Map<Status.Code, Integer>> seen = RequestFuzz.of(OrderServiceGrpc.getServiceDescriptor(),
            orderRequests).endless("WatchOrder", "TrackOrders").bounded(CALLS_PER_METHOD, BUDGET)
        .run(fixture.orderService().channel(), fixture.admin());
    seen.putAll(RequestFuzz.of(InventoryServiceGrpc.getServiceDescriptor(), inventoryRequests)
        .bounded(CALLS_PER_METHOD, BUDGET).run(fixture.orderService().channel(), fixture.admin()));

    assertThat(seen).as("every method was called").hasSize(8);
    assertThat(seen.values().stream().mapToInt(m -> m.getOrDefault(Status.Code.INVALID_ARGUMENT, 0)).sum())
        .as("the fuzz reached validation").isPositive();
  }
}
