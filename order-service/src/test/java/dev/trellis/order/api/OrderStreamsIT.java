package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CancelOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderEvent;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.TrackOrdersRequest;
import dev.trellis.order.v1.WatchOrderRequest;
import dev.trellis.testing.FirstResponse;
import dev.trellis.testing.StreamRecorder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WatchOrder and TrackOrders on one replica see every change an order goes through on another: they read the
 * order-events outbox, not the memory of the replica that made the change.
 */
class OrderStreamsIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();
  /** Runs the sagas, slowly: each partner takes a while, so every change is its own event. */
  private static OrderServiceFixture.Instance replicaA;
  /** Only watches. */
  private static OrderServiceFixture.Instance replicaB;

  @BeforeAll
  static void start() {
    replicaA = fixture.start(Map.of("TRELLIS_ORDER_SIM_PAYMENT_LATENCY", "300ms",
        "TRELLIS_ORDER_SIM_SHIPMENT_LATENCY", "300ms", "TRELLIS_ORDER_SIM_NOTIFIER_LATENCY", "300ms"));
    replicaB = fixture.start();
  }

  @Test
  void watchOrderOnAnotherReplicaSeesEveryChangeAndEndsWithTheTerminalOne() throws Exception {
    long user = fixture.createUser();
    String owner = fixture.tokens().user(user);
    FirstResponse<Order> placing = new FirstResponse<>();
    replicaA.ordersAsync(owner).withDeadlineAfter(60, TimeUnit.SECONDS)
        .createOrder(order(user, fixture.newSku(5, 100)).build(), placing);
    long orderId = awaitOrderOf(user);

    StreamRecorder<WatchOrderRequest, OrderEvent> watched = StreamRecorder.reading();
    replicaB.ordersAsync(owner).watchOrder(WatchOrderRequest.newBuilder().setId(orderId).build(), watched);
    Order confirmed = placing.future().get(60, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> watched.messages().stream()
        .anyMatch(e -> e.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED));
    replicaA.orders(owner).cancelOrder(CancelOrderRequest.newBuilder().setId(orderId).setReason("no").build());
    assertThat(watched.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.OK);

    List<OrderEvent> events = watched.messages();
    // The first is the state when the watch began; after it, one event per change, none missed or repeated.
    assertThat(events.getFirst().getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_PENDING);
    assertThat(events).extracting(e -> e.getOrder().getUpdatedAt()).isSorted();
    assertThat(events).extracting(OrderEvent::getOrderId).containsOnly(orderId);
    List<OrderStatus> statuses = events.stream().map(OrderEvent::getStatus).distinct().toList();
    assertThat(statuses).containsExactly(OrderStatus.ORDER_STATUS_PENDING, OrderStatus.ORDER_STATUS_CONFIRMED,
        OrderStatus.ORDER_STATUS_CANCELLED);
    assertThat(events).filteredOn(e -> e.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED).singleElement()
        .satisfies(e -> assertThat(e.getOrder()).isEqualTo(confirmed));
    assertThat(events.getLast().getReason()).isEqualTo("no");
    // After the first state, every change and only changes: payment taken, shipment booked, confirmed, cancelled.
    List<Integer> stages = events.stream().map(OrderStreamsIT::stage).toList();
    assertThat(stages.getLast()).isEqualTo(5);
    for (int i = 1; i < stages.size(); i++) {
      assertThat(stages.get(i)).as("event %d of %s", i, stages).isEqualTo(stages.get(i - 1) + 1);
    }
  }

  /** Where an event stands in the life of an order that is confirmed and then cancelled. */
  private static int stage(OrderEvent event) {
    Order order = event.getOrder();
    return switch (event.getStatus()) {
      case ORDER_STATUS_CANCELLED -> 5;
      case ORDER_STATUS_CONFIRMED -> 4;
      default -> !order.getShipmentId().isEmpty() ? 3 : !order.getPaymentId().isEmpty() ? 2 : 1;
    };
  }

  @Test
  void trackOrdersFollowsTheOrdersItAddsUntilItRemovesThemAndEndsAfterHalfCloseOnceAllEnded() throws Exception {
    long user = fixture.createUser();
    String owner = fixture.tokens().user(user);
    Order first = replicaA.orders(owner).createOrder(order(user, fixture.newSku(5, 100)).build());
    Order second = replicaA.orders(owner).createOrder(order(user, fixture.newSku(5, 100)).build());
    StreamRecorder<TrackOrdersRequest, OrderEvent> tracked = StreamRecorder.reading();
    StreamObserver<TrackOrdersRequest> requests = replicaB.ordersAsync(owner).trackOrders(tracked);

    requests.onNext(TrackOrdersRequest.newBuilder().setAddOrderId(first.getId()).build());
    requests.onNext(TrackOrdersRequest.newBuilder().setAddOrderId(second.getId()).build());
    await().atMost(WAIT).until(() -> tracked.messages().size() == 2);
    requests.onNext(TrackOrdersRequest.newBuilder().setRemoveOrderId(second.getId()).build());
    // A remove takes effect in order with the adds; a cancel made after it is not sent.
    replicaA.orders(owner).cancelOrder(CancelOrderRequest.newBuilder().setId(second.getId()).build());
    replicaA.orders(owner).cancelOrder(CancelOrderRequest.newBuilder().setId(first.getId()).build());
    requests.onCompleted();
    assertThat(tracked.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.OK);

    List<OrderEvent> events = tracked.messages();
    assertThat(events.subList(0, 2)).extracting(OrderEvent::getOrder).containsExactlyInAnyOrder(first, second);
    assertThat(events.subList(2, events.size())).extracting(OrderEvent::getOrderId).containsOnly(first.getId());
    assertThat(events.getLast().getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CANCELLED);
  }

  @Test
  void aUserCannotWatchAnotherUsersOrder() throws Exception {
    long user = fixture.createUser();
    Order order = replicaA.orders(fixture.admin()).createOrder(order(user, fixture.newSku(5, 100)).build());
    StreamRecorder<WatchOrderRequest, OrderEvent> watched = StreamRecorder.reading();

    replicaB.ordersAsync(fixture.tokens().user(fixture.createUser()))
        .watchOrder(WatchOrderRequest.newBuilder().setId(order.getId()).build(), watched);

    assertThat(watched.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(watched.messages()).isEmpty();
  }

  @Test
  void watchingAnEndedOrderSendsItsStateAndEnds() throws Exception {
    long user = fixture.createUser();
    Order rejected = replicaA.orders(fixture.admin()).createOrder(order(user, fixture.newSku(5, 100))
        .setPaymentToken("tok_decline").build());
    StreamRecorder<WatchOrderRequest, OrderEvent> watched = StreamRecorder.reading();

    replicaB.ordersAsync(fixture.admin()).watchOrder(WatchOrderRequest.newBuilder().setId(rejected.getId()).build(),
        watched);

    assertThat(watched.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.OK);
    assertThat(watched.messages()).extracting(OrderEvent::getOrder).containsExactly(rejected);
  }

  private static long awaitOrderOf(long user) {
    return await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> fixture.orderDb().shardOfId(user)
        .read(dsl -> dsl.select(ORDERS.ID).from(ORDERS).where(ORDERS.USER_ID.eq(user)).fetchOne(ORDERS.ID)),
        id -> id != null);
  }
}
