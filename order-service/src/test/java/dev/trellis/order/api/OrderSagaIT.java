package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.INVENTORY_RESERVATIONS;
import static dev.trellis.order.store.jooq.Tables.SIM_PAYMENTS;
import static dev.trellis.order.store.jooq.Tables.SIM_SHIPMENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.ResourceInfo;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.partner.Notifier.Kind;
import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc.OrderServiceBlockingStub;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.order.v1.Stock;
import dev.trellis.testing.ErrorDetails;
import dev.trellis.testing.LogCapture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CreateOrder's saga on real PostgreSQL with the real user-service over Netty: the happy path, and for each step a
 * failure that compensates exactly the steps that ran before it (and nothing else), the order REJECTED with the
 * reason.
 */
class OrderSagaIT {
  /** A short step timeout, so the payment provider that never answers (tok_timeout) costs a second, not 30. */
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.withSettings(Map.of(
      "TRELLIS_ORDER_STEP_TIMEOUT", "1s", "TRELLIS_ORDER_COMPENSATION_BACKOFF_MAX", "1s",
      "TRELLIS_ORDER_SAGA_LEASE", "5s"));
  private static OrderServiceBlockingStub admin;

  @BeforeAll
  static void start() {
    admin = fixture.first().orders(fixture.admin());
  }

  @Test
  void theHappyPathConfirmsTheOrderAndEveryPartnerActsOnce() {
    long user = fixture.createUser();
    String mug = fixture.newSku(10, 1250);
    String tee = fixture.newSku(10, 2500);
    Order order = admin.createOrder(order(user).addItems(LineItem.newBuilder().setSku(mug).setQuantity(2))
        .addItems(LineItem.newBuilder().setSku(tee).setQuantity(1)).build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(order.getReason()).isEmpty();
    assertThat(order.getUserId()).isEqualTo(user);
    assertThat(order.getItemsList()).extracting(LineItem::getUnitPriceCents).containsExactly(1250L, 2500L);
    assertThat(order.getTotalCents()).isEqualTo(2 * 1250 + 2500);
    assertThat(order.getCurrency()).isEqualTo("USD");
    assertThat(order.getPaymentId()).startsWith("pay_");
    assertThat(order.getShipmentId()).startsWith("shp_");
    assertThat(order.getShippingAddress().getCountryCode()).isEqualTo("DE");
    assertThat(stock(mug)).containsExactly(8L, 0L, 2L);
    assertThat(stock(tee)).containsExactly(9L, 0L, 1L);
    assertThat(paymentState(order)).isEqualTo("CHARGED");
    assertThat(fixture.count(SIM_PAYMENTS, SIM_PAYMENTS.IDEMPOTENCY_KEY.eq(chargeKey(order)))).isEqualTo(1);
    assertThat(shipmentState(order)).isEqualTo("CREATED");
    assertThat(fixture.notifier().sent(Kind.CONFIRMATION, order.getId())).isEqualTo(1);
    OrderSagasRecord saga = fixture.saga(order.getId()).orElseThrow();
    assertThat(saga.getSagaId()).isEqualTo("order_" + order.getId());
    assertThat(saga.getStatus()).isEqualTo("COMPLETED");
    assertThat(saga.getCompletedSteps()).containsExactly("verify_user", "reserve_inventory", "process_payment",
        "create_shipment", "send_notification");
    assertThat(saga.getCompensatedSteps()).isEmpty();
    assertThat(saga.getLeaseOwner()).isNull();
    assertThat(admin.getOrder(dev.trellis.order.v1.GetOrderRequest.newBuilder().setId(order.getId()).build()))
        .isEqualTo(order);
  }

  @Test
  void anUnknownUserIsRejectedAndNothingElseRuns() {
    String sku = fixture.newSku(5, 100);
    long nobody = fixture.createUser() + 1; // an id in a real bucket that no user has

    Order order = admin.createOrder(order(nobody, sku).build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
    assertThat(order.getReason()).isEqualTo("user " + nobody + " not found");
    assertThat(stock(sku)).containsExactly(5L, 0L, 0L);
    assertThat(fixture.count(INVENTORY_RESERVATIONS, INVENTORY_RESERVATIONS.ORDER_ID.eq(order.getId()))).isZero();
    assertThat(paymentState(order)).isNull();
    OrderSagasRecord saga = fixture.saga(order.getId()).orElseThrow();
    assertThat(saga.getStatus()).isEqualTo("FAILED");
    assertThat(saga.getCompletedSteps()).isEmpty();
  }

  @Test
  void tooLittleStockReleasesTheLinesAlreadyReservedAndChargesNothing() {
    long user = fixture.createUser();
    String plenty = fixture.newSku(10, 100);
    String scarce = fixture.newSku(1, 100);

    Order order = admin.createOrder(order(user).addItems(LineItem.newBuilder().setSku(plenty).setQuantity(3))
        .addItems(LineItem.newBuilder().setSku(scarce).setQuantity(2)).build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
    assertThat(order.getReason()).isEqualTo("not enough stock of " + scarce + ": 2 asked, 1 available");
    assertThat(stock(plenty)).containsExactly(10L, 0L, 0L);
    assertThat(stock(scarce)).containsExactly(1L, 0L, 0L);
    assertThat(paymentState(order)).isNull();
    assertCompensated(order, "release_inventory");
  }

  @Test
  void aDeclinedPaymentReleasesTheStock() {
    long user = fixture.createUser();
    String sku = fixture.newSku(4, 700);

    Order order = admin.createOrder(order(user, sku).setPaymentToken("tok_decline").build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
    assertThat(order.getReason()).isEqualTo("payment declined");
    assertThat(order.getPaymentId()).isEmpty();
    assertThat(stock(sku)).containsExactly(4L, 0L, 0L);
    assertThat(paymentState(order)).isNull();
    assertThat(shipmentState(order)).isNull();
    assertCompensated(order, "release_inventory");
  }

  @Test
  void aPaymentThatNeverAnswersTimesOutAndIsRefundedJustInCase() {
    long user = fixture.createUser();
    String sku = fixture.newSku(4, 700);

    Order order = admin.createOrder(order(user, sku).setPaymentToken("tok_timeout").build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
    assertThat(order.getReason()).isEqualTo("process_payment did not finish within 1000 ms");
    assertThat(stock(sku)).containsExactly(4L, 0L, 0L);
    // Its outcome was unknown, so it was refunded too: a refund of nothing voids the key, so no late charge lands.
    assertThat(paymentState(order)).isEqualTo("VOIDED");
    assertCompensated(order, "refund_payment", "release_inventory");
  }

  @Test
  void aFlakyPaymentIsRetriedAndChargedOnce() {
    long user = fixture.createUser();
    String sku = fixture.newSku(4, 700);

    Order order = admin.createOrder(order(user, sku).setPaymentToken("tok_flaky").build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(paymentState(order)).isEqualTo("CHARGED");
    assertThat(stock(sku)).containsExactly(3L, 0L, 1L);
  }

  @Test
  void anUndoThatFailsIsRetriedUntilItIsDone() {
    long user = fixture.createUser();
    String sku = fixture.newSku(4, 700);

    try (LogCapture runner = LogCapture.of("dev.trellis.order.saga.SagaRunner")) {
      // The flaky provider charges on the third try, then the carrier refuses XX: its refund fails twice too.
      Order order = admin.createOrder(order(user, sku).setPaymentToken("tok_flaky")
          .setShippingAddress(ShippingAddress.newBuilder().setRecipient("Nobody").setLine1("Nowhere 1")
              .setCity("Atlantis").setCountryCode("XX"))
          .build());

      assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
      assertThat(paymentState(order)).isEqualTo("REFUNDED");
      assertThat(stock(sku)).containsExactly(4L, 0L, 0L);
      assertCompensated(order, "refund_payment", "release_inventory");
      assertThat(runner.lines()).extracting(line -> line.get("message").asText())
          .filteredOn(message -> message.contains("step=refund_payment: attempt"))
          .hasSize(2);
    }
  }

  @Test
  void aRefusedAddressRefundsThePaymentAndReleasesTheStock() {
    long user = fixture.createUser();
    String sku = fixture.newSku(4, 700);

    Order order = admin.createOrder(order(user, sku)
        .setShippingAddress(ShippingAddress.newBuilder().setRecipient("Nobody").setLine1("Nowhere 1")
            .setCity("Atlantis").setCountryCode("XX"))
        .build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
    assertThat(order.getReason()).isEqualTo("the carrier does not ship to XX");
    assertThat(order.getPaymentId()).startsWith("pay_");
    assertThat(order.getShipmentId()).isEmpty();
    assertThat(paymentState(order)).isEqualTo("REFUNDED");
    assertThat(shipmentState(order)).isNull();
    assertThat(stock(sku)).containsExactly(4L, 0L, 0L);
    assertCompensated(order, "refund_payment", "release_inventory");
  }

  @Test
  void aBouncingMailboxCancelsTheShipmentRefundsAndReleases() {
    long user = fixture.createUser("bounce-" + System.nanoTime() + "@example.invalid");
    String sku = fixture.newSku(4, 700);

    Order order = admin.createOrder(order(user, sku).build());

    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_REJECTED);
    assertThat(order.getReason()).startsWith("the mailbox bounce-").endsWith("does not exist");
    assertThat(shipmentState(order)).isEqualTo("CANCELLED");
    assertThat(paymentState(order)).isEqualTo("REFUNDED");
    assertThat(stock(sku)).containsExactly(4L, 0L, 0L);
    assertThat(fixture.notifier().sent(Kind.CONFIRMATION, order.getId())).isZero();
    assertThat(fixture.notifier().sent(Kind.CANCELLATION, order.getId())).isZero();
    assertCompensated(order, "cancel_shipment", "refund_payment", "release_inventory");
  }

  @Test
  void anUnknownSkuIsNotFoundAndStoresNoOrder() {
    long user = fixture.createUser();

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> admin.createOrder(order(user, "no-such-sku").build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(ErrorDetails.detail(e, ResourceInfo.class).getResourceName()).isEqualTo("inventory/no-such-sku");
    assertThat(fixture.ordersOf(user)).isZero();
  }

  private static void assertCompensated(Order order, String... compensations) {
    OrderSagasRecord saga = fixture.saga(order.getId()).orElseThrow();
    assertThat(saga.getStatus()).isEqualTo("FAILED");
    assertThat(saga.getCompensationPlan()).containsExactly(compensations);
    assertThat(saga.getCompensatedSteps()).containsExactly(compensations);
    assertThat(saga.getFailure()).isEqualTo(order.getReason());
  }

  private static List<Long> stock(String sku) {
    Stock stock = fixture.stock(sku);
    return List.of(stock.getAvailable(), stock.getReserved(), stock.getSold());
  }

  private static String chargeKey(Order order) {
    return "order_" + order.getId() + "/process_payment";
  }

  private static String paymentState(Order order) {
    return fixture.payments().stateOf(chargeKey(order)).orElse(null);
  }

  private static String shipmentState(Order order) {
    String key = "order_" + order.getId() + "/create_shipment";
    return fixture.orderDb().shardOfId(order.getId()).read(dsl -> dsl.select(SIM_SHIPMENTS.STATE).from(SIM_SHIPMENTS)
        .where(SIM_SHIPMENTS.IDEMPOTENCY_KEY.eq(key)).fetchOne(SIM_SHIPMENTS.STATE));
  }
}
