package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.INVENTORY_RESERVATIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.rpc.RetryInfo;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.Stock;
import dev.trellis.testing.ErrorDetails;
import dev.trellis.testing.LogCapture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * user-service down: CreateOrder is UNAVAILABLE after the client's retries and stores nothing, not even its
 * idempotency key; five failures in a row open the circuit breaker, so calls fail without reaching the network;
 * once user-service is back, the breaker closes and the same request (same key) places its order.
 */
class UserServiceOutageIT {
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.withSettings(Map.of(
      "TRELLIS_CLIENT_BACKOFF_MIN", "10ms", "TRELLIS_CLIENT_BACKOFF_MAX", "20ms",
      "TRELLIS_CLIENT_BREAKER_DELAY", "1s"));

  @Test
  void anOutageOpensTheBreakerStoresNothingAndTheSameRequestWorksOnceUserServiceIsBack() {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 100);
    CreateOrderRequest request = order(user, sku).build();
    try (LogCapture breaker = LogCapture.of("dev.trellis.platform.client.FailsafeCalls")) {
      fixture.stopUserService();

      // Three attempts per call (retry on UNAVAILABLE): the second call makes the fifth failure in a row.
      for (int call = 0; call < 2; call++) {
        StatusRuntimeException e = createFails(request);
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription())
            .isEqualTo("cannot verify the user: user-service is unavailable; retry later");
        assertThat(ErrorDetails.detail(e, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(1);
      }
      assertThat(messages(breaker)).anyMatch(m -> m.startsWith("circuit breaker for user-service opened"));
      // Open: the call fails at once, and still stores nothing.
      assertThat(createFails(request).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(fixture.ordersOf(user)).isZero();
      assertThat(fixture.keysOf(user)).isZero();
      Stock stock = fixture.stock(sku);
      assertThat(stock.getAvailable()).isEqualTo(5);
      assertThat(stock.getReserved()).isZero();
      assertThat(fixture.count(INVENTORY_RESERVATIONS, INVENTORY_RESERVATIONS.SKU.eq(sku))).isZero();

      fixture.restartUserService();
      AtomicReference<Order> placed = new AtomicReference<>();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
          .until(() -> {
            placed.set(fixture.first().orders(fixture.admin()).createOrder(request));
            return true;
          });

      assertThat(placed.get().getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
      assertThat(fixture.ordersOf(user)).isEqualTo(1);
      assertThat(messages(breaker)).last().isEqualTo("circuit breaker for user-service closed");
    }
  }

  private static StatusRuntimeException createFails(CreateOrderRequest request) {
    return catchThrowableOfType(StatusRuntimeException.class,
        () -> fixture.first().orders(fixture.admin()).createOrder(request));
  }

  private static java.util.List<String> messages(LogCapture log) {
    return log.lines().stream().map(line -> line.get("message").asText()).toList();
  }
}
