package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.INVENTORY_RESERVATIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.rpc.RetryInfo;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.Stock;
import dev.trellis.testing.ErrorDetails;
import dev.trellis.testing.LogCapture;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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

  /**
   * The same outage under a steady load of orders from several callers (issue 14): user-service stops while
   * orders are in flight and starts again while callers keep ordering. Each call ends CONFIRMED, REJECTED or
   * UNAVAILABLE with RetryInfo, never anything else; every answered order is stored as answered, every UNAVAILABLE
   * one stored nothing (its retry places exactly one order), and the stock sold is exactly the confirmed orders.
   */
  @Test
  void underLoadEveryCallEndsWholeOrUnavailableAndNothingIsLost() throws Exception {
    int callers = 6;
    int callsEach = 200; // a bound on the load, whatever the phases take
    List<Long> users = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      users.add(fixture.createUser());
    }
    String sku = fixture.newSku(callers * callsEach, 100);
    Queue<Order> answered = new ConcurrentLinkedQueue<>();
    Queue<CreateOrderRequest> unavailable = new ConcurrentLinkedQueue<>();
    Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    AtomicInteger placedAfterRestart = new AtomicInteger();
    AtomicBoolean restarted = new AtomicBoolean();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService load = Executors.newFixedThreadPool(callers);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (long user : users) {
        running.add(load.submit(() -> {
          for (int call = 0; call < callsEach && !done.get(); call++) {
            CreateOrderRequest request = order(user, sku).build();
            try {
              Order order = fixture.first().orders(fixture.admin()).withDeadlineAfter(30, TimeUnit.SECONDS)
                  .createOrder(request);
              answered.add(order);
              if (restarted.get()) {
                placedAfterRestart.incrementAndGet();
              }
            } catch (StatusRuntimeException e) {
              RetryInfo retry = e.getStatus().getCode() == Status.Code.UNAVAILABLE
                  ? ErrorDetails.detail(e, RetryInfo.class) : null;
              if (retry != null && retry.getRetryDelay().getSeconds() >= 1) {
                unavailable.add(request);
                // As a well-behaved caller does: wait the delay RetryInfo asks for before the next call.
                Thread.sleep(Duration.ofSeconds(retry.getRetryDelay().getSeconds()));
              } else {
                unexpected.add(e.getStatus() + " " + e.getTrailers());
              }
            }
          }
          return null; // a Callable, so that the wait RetryInfo asks for may be interrupted
        }));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> answered.size() >= callers * 2);
      fixture.stopUserService();
      await().atMost(Duration.ofSeconds(60)).until(() -> unavailable.size() >= callers * 2);
      fixture.restartUserService();
      restarted.set(true);
      await().atMost(Duration.ofSeconds(60)).until(() -> placedAfterRestart.get() >= callers * 2);
      done.set(true);
      for (Future<?> caller : running) {
        caller.get(120, TimeUnit.SECONDS);
      }
    } finally {
      load.shutdownNow();
    }

    assertThat(unexpected).as("every call ended whole or UNAVAILABLE with RetryInfo").isEmpty();
    for (Order order : answered) {
      assertThat(order.getStatus()).isIn(OrderStatus.ORDER_STATUS_CONFIRMED, OrderStatus.ORDER_STATUS_REJECTED);
      assertThat(fixture.first().orders(fixture.admin()).getOrder(GetOrderRequest.newBuilder().setId(order.getId())
          .build()).getStatus()).as("order %s as answered", order.getId()).isEqualTo(order.getStatus());
    }
    // UNAVAILABLE stored nothing, not even the key: the same request now places its one order.
    List<Order> retried = new ArrayList<>();
    for (CreateOrderRequest request : unavailable) {
      retried.add(fixture.first().orders(fixture.admin()).createOrder(request));
    }
    assertThat(retried).allSatisfy(o -> assertThat(o.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED));
    long stored = users.stream().mapToLong(fixture::ordersOf).sum();
    assertThat(stored).isEqualTo(answered.size() + retried.size());
    long confirmed = answered.stream().filter(o -> o.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED).count()
        + retried.size();
    Stock stock = fixture.stock(sku);
    assertThat(stock.getSold()).isEqualTo(confirmed);
    assertThat(stock.getReserved()).isZero();
    assertThat(stock.getAvailable()).isEqualTo(callers * callsEach - confirmed);
    System.out.printf("user-service outage under load: %d orders answered (%d after the restart), %d UNAVAILABLE"
        + " with RetryInfo and placed once on retry%n", answered.size(), placedAfterRestart.get(), retried.size());
  }

  private static StatusRuntimeException createFails(CreateOrderRequest request) {
    return catchThrowableOfType(StatusRuntimeException.class,
        () -> fixture.first().orders(fixture.admin()).createOrder(request));
  }

  private static java.util.List<String> messages(LogCapture log) {
    return log.lines().stream().map(line -> line.get("message").asText()).toList();
  }
}
