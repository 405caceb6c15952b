package dev.trellis.order;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;
import static dev.trellis.order.store.jooq.Tables.SIM_PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.partner.Notifier.Kind;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.store.Stock;
import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.store.jooq.tables.records.OrdersRecord;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.testing.TestTokens;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Crash recovery with a real process: order-service runs in a child JVM; six sagas are held, by row locks the
 * test takes (no sleeps), each just after a different point: after verify_user, after reserve_inventory, after
 * process_payment, after create_shipment, after send_notification, and in the middle of a compensation. The JVM is
 * killed (SIGKILL), another one starts on the same shards, and its recovery worker finishes every saga: each order
 * ends CONFIRMED or REJECTED, and stock, charges, shipments and notices match the orders exactly.
 */
class SagaCrashIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();
  private static InventoryStore inventory;
  private static Map<String, String> settings;
  private final List<Connection> holds = new ArrayList<>();

  @BeforeAll
  static void start() {
    fixture.first().close(); // only child JVMs drive sagas here
    inventory = new InventoryStore(fixture.orderDb(), Clock.systemUTC());
    // Held steps must not time out; the dead JVM's leases are ended by the test instead (see expireLeases). Each
    // held saga keeps a pooled connection waiting on a lock: pools large enough for all of them and new calls.
    settings = fixture.orderSettings(Map.of("TRELLIS_ORDER_STEP_TIMEOUT", "60s", "TRELLIS_ORDER_SAGA_LEASE", "75s",
        "TRELLIS_ORDER_RECOVERY_INTERVAL", "500ms", "TRELLIS_SHARD_POOL_SIZE", "12"));
  }

  @Test
  void sagasKilledAfterEachStepAreFinishedByTheNextProcessAndEverythingAddsUp() throws Exception {
    long chargedBefore = fixture.payments().charged();
    long refundedBefore = fixture.payments().refunded();
    long bookedBefore = fixture.shipments().booked();
    long cancelledBefore = fixture.shipments().cancelled();
    long confirmationsBefore = fixture.notifier().sent(Kind.CONFIRMATION);
    List<Placed> orders = new ArrayList<>();
    try (ChildOrderService first = ChildOrderService.start(settings)) {
      OrderServiceGrpc.OrderServiceStub stub = OrderServiceGrpc.newStub(first.channel)
          .withCallCredentials(TestTokens.bearer(fixture.admin()));

      // 1. After verify_user: reserve_inventory waits for the SKU's row.
      Placed afterVerify = place(stub, "DE");
      Connection skuLock = lockSku(afterVerify.sku);
      afterVerify.send();
      afterVerify.awaitCompleted("verify_user");
      orders.add(afterVerify);

      // 2. After reserve_inventory: the charge waits for a row with its key that the test is inserting.
      Placed afterReserve = placeHeldAtReserve(stub, "DE");
      holdKey(VOID_PAYMENT, afterReserve, "process_payment");
      afterReserve.release();
      afterReserve.awaitCompleted("reserve_inventory");
      orders.add(afterReserve);

      // 3. After process_payment: the shipment waits the same way.
      Placed afterPayment = placeHeldAtReserve(stub, "DE");
      holdKey(VOID_SHIPMENT, afterPayment, "create_shipment");
      afterPayment.release();
      afterPayment.awaitCompleted("process_payment");
      orders.add(afterPayment);

      // 4. After create_shipment: the notice waits.
      Placed afterShipment = placeHeldAtReserve(stub, "DE");
      holdNotice(afterShipment);
      afterShipment.release();
      afterShipment.awaitCompleted("create_shipment");
      orders.add(afterShipment);

      // 5. After send_notification: confirming the stock waits for the order's reservation row.
      Placed afterNotice = placeHeldAtReserve(stub, "DE");
      Connection notice = holdNotice(afterNotice);
      afterNotice.release();
      afterNotice.awaitCompleted("create_shipment");
      lockReservation(afterNotice);
      rollback(notice);
      afterNotice.awaitCompleted("send_notification");
      orders.add(afterNotice);

      // 6. During compensation: the carrier refuses XX, the refund is done, releasing the stock waits.
      Placed compensating = placeHeldAtReserve(stub, "XX");
      Connection charge = holdKey(VOID_PAYMENT, compensating, "process_payment");
      compensating.release();
      compensating.awaitCompleted("reserve_inventory");
      lockReservation(compensating);
      rollback(charge);
      await().atMost(WAIT).until(() -> compensating.saga().getCompensatedSteps().length == 1);
      assertThat(compensating.saga().getCompensatedSteps()).containsExactly("refund_payment");
      orders.add(compensating);

      rollback(skuLock);
      first.kill();
    }
    holds.forEach(SagaCrashIT::rollback);
    expireLeases();

    try (ChildOrderService second = ChildOrderService.start(settings)) {
      await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> orders.stream()
          .allMatch(o -> !o.order().getStatus().equals("PENDING")));
      for (Placed order : orders.subList(0, 5)) {
        OrdersRecord row = order.order();
        assertThat(row.getStatus()).as("order %s", order.label).isEqualTo("CONFIRMED");
        assertThat(row.getPaymentId()).isEqualTo(paymentIdOf(order));
        assertThat(counts(order.sku)).as("stock of %s", order.label).containsExactly(9L, 0L, 1L);
        assertThat(fixture.notifier().sent(Kind.CONFIRMATION, row.getId())).isEqualTo(1);
        assertThat(order.saga().getStatus()).isEqualTo("COMPLETED");
      }
      Placed rejected = orders.get(5);
      assertThat(rejected.order().getStatus()).isEqualTo("REJECTED");
      assertThat(rejected.order().getReason()).isEqualTo("the carrier does not ship to XX");
      assertThat(fixture.payments().stateOf(rejected.key("process_payment"))).hasValue("REFUNDED");
      assertThat(counts(rejected.sku)).containsExactly(10L, 0L, 0L);
      assertThat(rejected.saga().getCompensatedSteps()).containsExactly("refund_payment", "release_inventory");
      // Nothing more than the orders say: five charges kept, one refunded, five shipments, five notices.
      assertThat(fixture.payments().charged()).isEqualTo(chargedBefore + 5);
      assertThat(fixture.payments().refunded()).isEqualTo(refundedBefore + 1);
      assertThat(fixture.shipments().booked()).isEqualTo(bookedBefore + 5);
      assertThat(fixture.shipments().cancelled()).isEqualTo(cancelledBefore);
      assertThat(fixture.notifier().sent(Kind.CONFIRMATION)).isEqualTo(confirmationsBefore + 5);
      assertThat(fixture.count(ORDER_SAGAS, ORDER_SAGAS.LEASE_OWNER.isNotNull())).isZero();
      assertThat(second.log()).contains("taken over by");
    }
  }

  /**
   * The charge landed but the process died before recording it, and the order was cancelled while no process drove
   * its saga (CancelOrder on another replica marks it so): the next process finds the cancellation before it runs
   * process_payment again, and must refund the charge that landed, not only undo the steps it finds recorded.
   */
  @Test
  void aCancellationFoundOnTakeOverUndoesTheStepWhoseEffectLandedUnrecorded() throws Exception {
    long refundedBefore = fixture.payments().refunded();
    Placed placed;
    try (ChildOrderService first = ChildOrderService.start(settings)) {
      OrderServiceGrpc.OrderServiceStub stub = OrderServiceGrpc.newStub(first.channel)
          .withCallCredentials(TestTokens.bearer(fixture.admin()));
      placed = placeHeldAtReserve(stub, "DE");
      Connection charge = holdKey(VOID_PAYMENT, placed, "process_payment");
      placed.release();
      placed.awaitCompleted("reserve_inventory");
      Connection sagaRow = hold(fixture.orderDb().shardOfId(placed.id()),
          "SELECT 1 FROM order_sagas WHERE order_id = ?::bigint FOR UPDATE", String.valueOf(placed.id()));
      rollback(charge); // the charge goes through; recording it waits for the saga's row
      String key = placed.key("process_payment");
      await().atMost(WAIT).until(() -> fixture.payments().stateOf(key).orElse("").equals("CHARGED"));
      await().atMost(WAIT).until(() -> waitersOn(sagaRow) > 0);
      first.kill();
      // PostgreSQL would still run the dead process's waiting statement once the row is free: end it, so that the
      // charge stays unrecorded, as when the process dies before sending it.
      endWaitersOn(sagaRow);
    }
    holds.forEach(SagaCrashIT::rollback);
    assertThat(placed.saga().getCompletedSteps()).containsExactly("verify_user", "reserve_inventory");
    long id = placed.id();
    fixture.orderDb().shardOfId(id).read(dsl -> dsl.update(ORDER_SAGAS)
        .set(ORDER_SAGAS.CANCEL_REASON, "cancelled by the caller").where(ORDER_SAGAS.ORDER_ID.eq(id)).execute());
    expireLeases();

    try (ChildOrderService second = ChildOrderService.start(settings)) {
      await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
          .until(() -> !placed.order().getStatus().equals("PENDING"));
      assertThat(placed.order().getStatus()).isEqualTo("CANCELLED");
      assertThat(fixture.payments().stateOf(placed.key("process_payment"))).hasValue("REFUNDED");
      assertThat(fixture.payments().refunded()).isEqualTo(refundedBefore + 1);
      assertThat(counts(placed.sku)).containsExactly(10L, 0L, 0L);
      assertThat(placed.saga().getCompensatedSteps()).containsExactly("refund_payment", "release_inventory");
    }
  }

  /** Places an order whose reserve_inventory waits for its SKU's row; release() lets it go on. */
  private Placed placeHeldAtReserve(OrderServiceGrpc.OrderServiceStub stub, String country) {
    Placed placed = place(stub, country);
    placed.skuLock = lockSku(placed.sku);
    placed.send();
    placed.awaitCompleted("verify_user");
    return placed;
  }

  private Placed place(OrderServiceGrpc.OrderServiceStub stub, String country) {
    long user = fixture.createUser();
    String sku = "crash-" + java.util.UUID.randomUUID();
    inventory.set(sku, 10, 500);
    CreateOrderRequest request = order(user, sku).setShippingAddress(ShippingAddress.newBuilder()
        .setRecipient("Ada").setLine1("1 Way").setCity("Somewhere").setCountryCode(country)).build();
    return new Placed("#" + (holds.size() + 1), user, sku, () -> stub.withDeadlineAfter(5, TimeUnit.MINUTES)
        .createOrder(request, new Ignore()));
  }

  private Connection holdNotice(Placed order) {
    return holdKey("INSERT INTO sim_notifications (idempotency_key, recipient, kind, order_id)"
        + " VALUES (?, 'held', 'CONFIRMATION', %d)", order, "send_notification");
  }

  /** An open transaction holding the SKU's inventory row. */
  private Connection lockSku(String sku) {
    return hold(fixture.orderDb().shardOfKey(sku), "SELECT 1 FROM inventory WHERE sku = ? FOR UPDATE", sku);
  }

  /** An open transaction holding the order's reservation row. */
  private void lockReservation(Placed order) {
    hold(fixture.orderDb().shardOfKey(order.sku),
        "SELECT 1 FROM inventory_reservations WHERE order_id = " + order.id() + " AND sku = ? FOR UPDATE",
        order.sku);
  }

  /** An open transaction that inserted a row with the partner key: the partner's own insert waits for it. */
  /** An open transaction inserting the partner's ledger row of the order's step (on the order's shard). */
  private static final String VOID_PAYMENT =
      "INSERT INTO sim_payments (idempotency_key, order_id, state) VALUES (?, %d, 'VOIDED')";
  private static final String VOID_SHIPMENT =
      "INSERT INTO sim_shipments (idempotency_key, order_id, state) VALUES (?, %d, 'VOIDED')";

  private Connection holdKey(String insert, Placed order, String step) {
    return hold(fixture.orderDb().shardOfId(order.id()), insert.formatted(order.id()), order.key(step));
  }

  private Connection hold(Shard shard, String sql, String parameter) {
    ShardSpec spec = fixture.orderTopology().shards().get(shard.index());
    try {
      Connection connection = DriverManager.getConnection(spec.jdbcUrl(), spec.user(), spec.password());
      connection.setAutoCommit(false);
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        statement.setString(1, parameter);
        statement.execute();
      }
      holds.add(connection);
      return connection;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How many backends wait for a lock that {@code holder}'s transaction holds. */
  private static int waitersOn(Connection holder) throws SQLException {
    return count(holder, "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))");
  }

  /** Ends the backends waiting for {@code holder}'s locks, and the statements they were about to run. */
  private static void endWaitersOn(Connection holder) throws SQLException {
    count(holder, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        + " WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))");
  }

  private static int count(Connection connection, String sql) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql);
        java.sql.ResultSet rows = statement.executeQuery()) {
      rows.next();
      return rows.getInt(1);
    }
  }

  private static void rollback(Connection connection) {
    try {
      if (!connection.isClosed()) {
        connection.rollback();
        connection.close();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The dead process's leases run out, as they would after the lease period: moved to now instead of waiting
   * (StoreIT shows leases running out by themselves).
   */
  private static void expireLeases() {
    for (Shard shard : fixture.orderDb().shards()) {
      shard.read(dsl -> dsl.update(ORDER_SAGAS)
          .set(ORDER_SAGAS.LEASE_UNTIL, org.jooq.impl.DSL.currentOffsetDateTime())
          .where(ORDER_SAGAS.LEASE_OWNER.isNotNull())
          .execute());
    }
  }

  private static String paymentIdOf(Placed order) {
    String key = order.key("process_payment");
    return fixture.orderDb().shardOfId(order.id()).read(dsl -> dsl.select(SIM_PAYMENTS.PAYMENT_ID).from(SIM_PAYMENTS)
        .where(SIM_PAYMENTS.IDEMPOTENCY_KEY.eq(key), SIM_PAYMENTS.STATE.eq("CHARGED"))
        .fetchOne(SIM_PAYMENTS.PAYMENT_ID));
  }

  private static List<Long> counts(String sku) {
    Stock stock = inventory.get(sku);
    return List.of(stock.available(), stock.reserved(), stock.sold());
  }

  /** One order of the test: its user, SKU and how it is sent. */
  private final class Placed {
    final String label;
    final long user;
    final String sku;
    final Runnable sender;
    Connection skuLock;

    Placed(String label, long user, String sku, Runnable sender) {
      this.label = label;
      this.user = user;
      this.sku = sku;
      this.sender = sender;
    }

    void send() {
      sender.run();
    }

    /** Lets reserve_inventory take the SKU's row. */
    void release() {
      rollback(skuLock);
    }

    long id() {
      return await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> fixture.orderDb().shardOfId(user)
          .read(dsl -> dsl.select(ORDERS.ID).from(ORDERS).where(ORDERS.USER_ID.eq(user)).fetchOne(ORDERS.ID)),
          id -> id != null);
    }

    String key(String step) {
      return "order_" + id() + "/" + step;
    }

    OrdersRecord order() {
      long id = id();
      return fixture.orderDb().shardOfId(id).read(dsl -> dsl.selectFrom(ORDERS).where(ORDERS.ID.eq(id)).fetchOne());
    }

    OrderSagasRecord saga() {
      return fixture.saga(id()).orElseThrow();
    }

    void awaitCompleted(String step) {
      await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
          .until(() -> List.of(saga().getCompletedSteps()).contains(step));
    }
  }

  /** The answers of the killed process's calls do not matter. */
  private static final class Ignore implements StreamObserver<Order> {
    @Override
    public void onNext(Order value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
