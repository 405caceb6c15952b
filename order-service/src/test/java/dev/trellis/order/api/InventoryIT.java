package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.Stock;
import dev.trellis.testing.ErrorDetails;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** InventoryService, and stock under concurrent orders: never oversold, never below zero. */
class InventoryIT {
  @RegisterExtension
  static final OrderServiceFixture fixture =
      OrderServiceFixture.withSettings(Map.of("TRELLIS_ORDER_SIM_PAYMENT_LATENCY", "20ms"));

  @Test
  void twentyConcurrentOrdersForTheLastFiveUnitsConfirmFiveAndNeverGoBelowZero() throws Exception {
    String sku = fixture.newSku(5, 999);
    List<Long> users = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      users.add(fixture.createUser());
    }
    List<Long> seenAvailable = new CopyOnWriteArrayList<>();
    AtomicBoolean racing = new AtomicBoolean(true);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Order>> orders = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> watcher = callers.submit(() -> {
        while (racing.get()) {
          Stock stock = fixture.stock(sku);
          seenAvailable.add(stock.getAvailable());
          seenAvailable.add(stock.getReserved());
        }
        return null;
      });
      for (long user : users) {
        orders.add(callers.submit(() -> {
          go.await();
          return fixture.first().orders(fixture.admin()).createOrder(order(user, sku).build());
        }));
      }
      go.countDown();
      List<Order> results = new ArrayList<>();
      for (Future<Order> order : orders) {
        results.add(order.get(60, TimeUnit.SECONDS));
      }
      racing.set(false);
      watcher.get(10, TimeUnit.SECONDS);

      assertThat(results.stream().filter(o -> o.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED)).hasSize(5);
      assertThat(results.stream().filter(o -> o.getStatus() == OrderStatus.ORDER_STATUS_REJECTED))
          .hasSize(15)
          .allSatisfy(o -> assertThat(o.getReason()).startsWith("not enough stock of " + sku));
    }
    Stock stock = fixture.stock(sku);
    assertThat(stock.getAvailable()).isZero();
    assertThat(stock.getReserved()).isZero();
    assertThat(stock.getSold()).isEqualTo(5);
    assertThat(seenAvailable).isNotEmpty().allSatisfy(count -> assertThat(count).isBetween(0L, 5L));
  }

  @Test
  void setStockKeepsReservedAndSoldUnitsAndGetStockShowsThem() {
    String sku = fixture.newSku(3, 100);
    fixture.first().orders(fixture.admin()).createOrder(order(fixture.createUser())
        .addItems(LineItem.newBuilder().setSku(sku).setQuantity(2)).build());

    Stock set = fixture.setStock(sku, 10, 150);

    assertThat(set.getAvailable()).isEqualTo(10);
    assertThat(set.getSold()).isEqualTo(2);
    assertThat(set.getUnitPriceCents()).isEqualTo(150);
    assertThat(fixture.stock(sku)).isEqualTo(set);
  }

  @Test
  void usersAndAdminsReadStockOnlyAdminsSetItAndServicesDoNeither() {
    String sku = fixture.newSku(3, 100);
    String user = fixture.tokens().user(fixture.createUser());
    String service = fixture.tokens().service("reporting");

    assertThat(fixture.first().inventory(user).getStock(GetStockRequest.newBuilder().setSku(sku).build())
        .getAvailable()).isEqualTo(3);
    StatusRuntimeException serviceRead = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .inventory(service).getStock(GetStockRequest.newBuilder().setSku(sku).build()));
    StatusRuntimeException userWrite = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .inventory(user).setStock(SetStockRequest.newBuilder().setSku(sku).setAvailable(100).build()));
    assertThat(serviceRead.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(userWrite.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(fixture.stock(sku).getAvailable()).isEqualTo(3);
  }

  @Test
  void unknownSkusAreNotFoundAndBadRequestsNameTheirFields() {
    StatusRuntimeException missing = catchThrowableOfType(StatusRuntimeException.class,
        () -> fixture.stock("never-set"));
    StatusRuntimeException bad = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .inventory(fixture.admin()).setStock(SetStockRequest.newBuilder().setSku("has space").setAvailable(-1)
            .setUnitPriceCents(-5).build()));

    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(ErrorDetails.detail(bad, BadRequest.class).getFieldViolationsList())
        .extracting(BadRequest.FieldViolation::getField)
        .containsExactly("sku", "available", "unit_price_cents");
  }
}
