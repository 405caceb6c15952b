package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.SIM_SHIPMENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.partner.Notifier.Kind;
import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.v1.CancelOrderRequest;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.Stock;
import dev.trellis.testing.FirstResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CancelOrder on a CONFIRMED order (everything undone, a notice sent), on a PENDING one (the saga stops at its next
 * step), on an ended one (nothing changes); and a caller that leaves mid-saga does not stop its saga.
 */
class CancelOrderIT {
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();
  /** A replica whose carrier takes a while: sagas wait in create_shipment. */
  private static OrderServiceFixture.Instance slow;

  @BeforeAll
  static void start() {
    slow = fixture.start(Map.of("TRELLIS_ORDER_SIM_SHIPMENT_LATENCY", "1500ms"));
  }

  @Test
  void cancellingAConfirmedOrderUndoesEverythingOnceAndSendsANotice() {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 400);
    String owner = fixture.tokens().user(user);
    Order confirmed = fixture.first().orders(owner).createOrder(order(user, sku).build());

    Order cancelled = fixture.first().orders(owner).cancelOrder(CancelOrderRequest.newBuilder()
        .setId(confirmed.getId()).setReason("changed my mind").build());
    Order again = fixture.first().orders(owner).cancelOrder(CancelOrderRequest.newBuilder()
        .setId(confirmed.getId()).setReason("really").build());

    assertThat(confirmed.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(cancelled.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CANCELLED);
    assertThat(cancelled.getReason()).isEqualTo("changed my mind");
    assertThat(again).isEqualTo(cancelled);
    assertThat(stock(sku)).containsExactly(5L, 0L, 0L);
    assertThat(fixture.payments().stateOf("order_" + confirmed.getId() + "/process_payment")).hasValue("REFUNDED");
    assertThat(shipmentState(confirmed.getId())).isEqualTo("CANCELLED");
    assertThat(fixture.notifier().sent(Kind.CANCELLATION, confirmed.getId())).isEqualTo(1);
    OrderSagasRecord saga = fixture.saga(confirmed.getId()).orElseThrow();
    assertThat(saga.getStatus()).isEqualTo("FAILED");
    assertThat(saga.getCompensatedSteps()).containsExactly("send_cancellation", "cancel_shipment",
        "refund_payment", "release_inventory");
  }

  @Test
  void cancellingAPendingOrderStopsItsSagaAtTheNextStep() throws Exception {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 400);
    FirstResponse<Order> placing = new FirstResponse<>();
    slow.ordersAsync(fixture.admin()).withDeadlineAfter(60, TimeUnit.SECONDS)
        .createOrder(order(user, sku).build(), placing);
    long orderId = awaitStep(user, "process_payment");

    Order cancelled = slow.orders(fixture.admin()).cancelOrder(CancelOrderRequest.newBuilder().setId(orderId)
        .build());
    Order answered = placing.future().get(60, TimeUnit.SECONDS);

    assertThat(cancelled.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CANCELLED);
    assertThat(cancelled.getReason()).isEqualTo("cancelled by the caller");
    assertThat(answered).isEqualTo(cancelled);
    assertThat(stock(sku)).containsExactly(5L, 0L, 0L);
    assertThat(fixture.payments().stateOf("order_" + orderId + "/process_payment")).hasValue("REFUNDED");
    // The shipment booked while the cancellation waited for the step to end is cancelled too; no notice went out.
    assertThat(shipmentState(orderId)).isEqualTo("CANCELLED");
    assertThat(fixture.notifier().sent(Kind.CONFIRMATION, orderId)).isZero();
    assertThat(fixture.saga(orderId).orElseThrow().getCompensatedSteps())
        .containsExactly("cancel_shipment", "refund_payment", "release_inventory");
  }

  @Test
  void cancellingARejectedOrderChangesNothing() {
    long user = fixture.createUser();
    Order rejected = fixture.first().orders(fixture.admin())
        .createOrder(order(user, fixture.newSku(5, 400)).setPaymentToken("tok_decline").build());

    Order after = fixture.first().orders(fixture.admin()).cancelOrder(CancelOrderRequest.newBuilder()
        .setId(rejected.getId()).build());

    assertThat(after).isEqualTo(rejected);
  }

  @Test
  void onlyItsUserOrAnAdminMayCancelAnOrder() {
    long user = fixture.createUser();
    Order order = fixture.first().orders(fixture.admin()).createOrder(order(user, fixture.newSku(5, 400)).build());
    String stranger = fixture.tokens().user(fixture.createUser());

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .orders(stranger).cancelOrder(CancelOrderRequest.newBuilder().setId(order.getId()).build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(get(order.getId()).getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
  }

  @Test
  void aCallerThatLeavesMidSagaDoesNotStopIt() {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 400);
    CreateOrderRequest request = order(user, sku).build();
    FirstResponse<Order> answer = new FirstResponse<>();
    Context.CancellableContext caller = Context.current().withCancellation();
    caller.run(() -> slow.ordersAsync(fixture.admin()).createOrder(request, answer));
    long orderId = awaitStep(user, "process_payment");

    caller.cancel(null); // the client gives up while the carrier is busy

    assertThat(catchThrowableOfType(Exception.class, () -> answer.future().get(10, TimeUnit.SECONDS)))
        .hasRootCauseInstanceOf(StatusRuntimeException.class);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> get(orderId).getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(stock(sku)).containsExactly(4L, 0L, 1L);
    assertThat(fixture.notifier().sent(Kind.CONFIRMATION, orderId)).isEqualTo(1);
  }

  /** Waits until the user's only order has completed {@code step}; returns its id. */
  private static long awaitStep(long user, String step) {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      List<Long> ids = fixture.orderDb().shardOfId(user).read(dsl -> dsl.select(
          dev.trellis.order.store.jooq.Tables.ORDERS.ID).from(dev.trellis.order.store.jooq.Tables.ORDERS)
          .where(dev.trellis.order.store.jooq.Tables.ORDERS.USER_ID.eq(user))
          .fetch(dev.trellis.order.store.jooq.Tables.ORDERS.ID));
      if (ids.size() != 1) {
        return 0L;
      }
      OrderSagasRecord saga = fixture.saga(ids.get(0)).orElseThrow();
      return List.of(saga.getCompletedSteps()).contains(step) ? ids.get(0) : 0L;
    }, id -> id != 0L);
  }

  private static Order get(long id) {
    return fixture.first().orders(fixture.admin()).getOrder(GetOrderRequest.newBuilder().setId(id).build());
  }

  private static List<Long> stock(String sku) {
    Stock stock = fixture.stock(sku);
    return List.of(stock.getAvailable(), stock.getReserved(), stock.getSold());
  }

  private static String shipmentState(long orderId) {
    String key = "order_" + orderId + "/create_shipment";
    return fixture.orderDb().shardOfId(orderId).read(dsl -> dsl.select(SIM_SHIPMENTS.STATE).from(SIM_SHIPMENTS)
        .where(SIM_SHIPMENTS.IDEMPOTENCY_KEY.eq(key)).fetchOne(SIM_SHIPMENTS.STATE));
  }
}
