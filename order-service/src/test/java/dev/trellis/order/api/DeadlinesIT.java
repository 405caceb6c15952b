package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.partner.PaymentGatewaySimulator;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.testing.LogCapture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A caller's deadline on CreateOrder, with real user-service and order-service over Netty: it travels to
 * user-service (verify_user runs on the caller's thread) and ends that call there too; a payment slower than the
 * deadline (tok_slow) answers the caller DEADLINE_EXCEEDED while the detached saga still ends whole, and the same
 * request then answers its order.
 */
class DeadlinesIT {
  /** A client timeout far beyond the test: only the caller's deadline can end order-service's call early. */
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.withSettings(Map.of("TRELLIS_CLIENT_TIMEOUT", "5m"));

  /** How a server sees a call its caller's deadline ended: its own timer, or the caller's reset. */
  private static final List<String> ENDED_BY_THE_DEADLINE = List.of("DEADLINE_EXCEEDED", "CANCELLED");

  @Test
  void aPaymentSlowerThanTheDeadlineIsDeadlineExceededAndTheSagaStillEndsWhole() {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 300);
    CreateOrderRequest request = order(user, sku).setPaymentToken(PaymentGatewaySimulator.SLOW).build();

    StatusRuntimeException late = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .orders(fixture.admin()).withDeadlineAfter(300, TimeUnit.MILLISECONDS).createOrder(request));

    assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    // The caller left; the saga did not: the same request waits for it and answers its order.
    Order placed = fixture.first().orders(fixture.admin()).createOrder(request);
    assertThat(placed.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(fixture.ordersOf(user)).isEqualTo(1);
    assertThat(fixture.payments().stateOf("order_" + placed.getId() + "/process_payment")).hasValue("CHARGED");
    assertThat(fixture.stock(sku).getSold()).isEqualTo(1);
  }

  @Test
  void theCallersDeadlineEndsTheCallToUserServiceAndNothingIsStored() throws SQLException {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 300);
    CreateOrderRequest request = order(user, sku).build();
    try (LogCapture access = LogCapture.of("trellis.access")) {
      List<Connection> locks = lockUsersTables();
      try {
        StatusRuntimeException late = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
            .orders(fixture.admin()).withDeadlineAfter(500, TimeUnit.MILLISECONDS).createOrder(request));

        assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // order-service's handler ends while user-service still waits for the lock: its GetUser was bound by the
        // caller's deadline, not by its own five minutes. The server logs DEADLINE_EXCEEDED when its own timer fires
        // first, CANCELLED when the client's timer (which started earlier) reset the stream first: both end it.
        assertThat(awaitLine(access, "trellis.order.v1.OrderService/CreateOrder").get("status").asText())
            .isIn(ENDED_BY_THE_DEADLINE);
      } finally {
        locks.forEach(DeadlinesIT::release);
      }
      // user-service's call ended with the caller's deadline (its own timer, or order-service's cancel). Its handler,
      // blocked in JDBC, finishes once the lock goes: the data layer does not cancel a statement with its call.
      assertThat(awaitLine(access, "trellis.user.v1.UserService/GetUser").get("status").asText())
          .isIn(ENDED_BY_THE_DEADLINE);
    }
    assertThat(fixture.ordersOf(user)).isZero();
    assertThat(fixture.keysOf(user)).isZero();
    // Neither did it count against user-service: the same request goes through at once.
    assertThat(fixture.first().orders(fixture.admin()).createOrder(request).getStatus())
        .isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
  }

  private static JsonNode awaitLine(LogCapture access, String method) {
    return await().atMost(Duration.ofSeconds(30)).until(() -> access.lines().stream()
        .filter(line -> line.get("method").asText().equals(method)).findFirst().orElse(null), line -> line != null);
  }

  /** Open transactions holding every user shard's users table: a GetUser waits for them. */
  private static List<Connection> lockUsersTables() throws SQLException {
    List<Connection> locks = new ArrayList<>();
    for (ShardSpec shard : fixture.userTopology().shards()) {
      Connection connection = DriverManager.getConnection(shard.jdbcUrl(), shard.user(), shard.password());
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        statement.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
      }
      locks.add(connection);
    }
    return locks;
  }

  private static void release(Connection connection) {
    try {
      connection.rollback();
      connection.close();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
