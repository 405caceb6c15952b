package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.store.SagaStatus;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardOutageDrill;
import dev.trellis.testing.ShardsExtension;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One order shard's PostgreSQL stopped while CreateOrder and GetOrder load runs, then started again: buyers whose
 * orders live on the other shard keep ordering and reading all along; what needs the stopped shard is UNAVAILABLE
 * with RetryInfo and nothing else; after the restart every saga the outage interrupted ends (none is left
 * unfinished), and a create that failed, retried with its request_id, gets its order.
 *
 * <p>Every order of the healthy shard confirms: its saga needs no other order shard (the partner simulators keep
 * their ledger rows on the order's bucket, order-service V6), so a shard-0 create that fails or ends other than
 * CONFIRMED fails the test.
 */
class OrderShardStopIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String SHARD_1 = "shards/order/shard-1";
  private static final int CALLERS = 4;
  private static final int CALLS_EACH = 2000; // a bound on the load, whatever the phases take
  private static final List<OrderStatus> ENDED = List.of(OrderStatus.ORDER_STATUS_CONFIRMED,
      OrderStatus.ORDER_STATUS_REJECTED, OrderStatus.ORDER_STATUS_CANCELLED);

  @RegisterExtension
  @org.junit.jupiter.api.Order(1)
  static final ShardsExtension orderShards = ShardsExtension.own(2);
  private static final ServiceExtension users = OrderServiceFixture.userService(); // started by the fixture
  @RegisterExtension
  @org.junit.jupiter.api.Order(2)
  static final OrderServiceFixture fixture = new OrderServiceFixture(users, OrderServiceFixture.orderService(users,
      Map.of("TRELLIS_SHARD_CONNECTION_TIMEOUT", "3s", "TRELLIS_SHARD_STATEMENT_TIMEOUT", "1s",
          "TRELLIS_SHARD_LOCK_TIMEOUT", "500ms", "TRELLIS_SHARD_PROBE_INTERVAL", "200ms",
          "TRELLIS_ORDER_STEP_TIMEOUT", "2s", "TRELLIS_ORDER_AWAIT_TIMEOUT", "3s",
          "TRELLIS_ORDER_RECOVERY_INTERVAL", "500ms", "TRELLIS_ORDER_COMPENSATION_BACKOFF_MAX", "500ms"))
      .onShards(orderShards));

  /** A buyer whose orders live on one shard, ordering a SKU kept on that shard. */
  private record Buyer(long userId, String token, String sku, int shard) {}

  @Test
  void theOtherShardKeepsTakingOrdersAndSagasOfTheStoppedOneFinishAfterItReturns() throws Exception {
    Buyer[] buyers = {buyerOn(0), buyerOn(1)};
    Queue<Order> acknowledged = new ConcurrentLinkedQueue<>();
    Queue<CreateOrderRequest> failedCreates = new ConcurrentLinkedQueue<>();
    ShardOutageDrill drill = new ShardOutageDrill(orderShards, 1, () -> health(SHARD_1));

    drill.run(CALLERS, CALLS_EACH, caller -> {
      List<Order> own = new ArrayList<>();
      return i -> {
        Buyer buyer = buyers[(caller + i) % 2];
        List<Order> ownOnShard = own.stream().filter(o -> shardOf(o.getId()) == buyer.shard()).toList();
        CreateOrderRequest create = order(buyer.userId(), buyer.sku()).build();
        boolean creating = ownOnShard.isEmpty() || i % 2 == 0;
        try {
          if (creating) {
            Order placed = fixture.first().orders(buyer.token()).createOrder(create);
            own.add(placed);
            acknowledged.add(placed);
            if (buyer.shard() == 0 && placed.getStatus() != OrderStatus.ORDER_STATUS_CONFIRMED) {
              // Plenty of stock and a good card, and nothing of it on the stopped shard.
              drill.unexpected("a shard-0 order ended " + placed.getStatus() + ": " + placed.getReason());
            }
          } else {
            Order read = ownOnShard.get(i % ownOnShard.size());
            assertThat(fixture.first().orders(buyer.token())
                .getOrder(GetOrderRequest.newBuilder().setId(read.getId()).build()).getId())
                .isEqualTo(read.getId());
          }
          drill.served(buyer.shard());
        } catch (StatusRuntimeException e) {
          if (creating) {
            failedCreates.add(create);
          }
          drill.failed(e);
          if (buyer.shard() == 0) {
            drill.unexpected((creating ? "a create" : "a read") + " on shard-0 failed: " + e.getStatus());
          }
        }
      };
    });

    assertThat(drill.unexpected()).as("what needed the stopped shard was UNAVAILABLE with RetryInfo; nothing else"
        + " failed").isEmpty();
    // Every saga the outage interrupted is driven to its end once the shard is back.
    await().atMost(WAIT).untilAsserted(() -> assertThat(fixture.count(ORDER_SAGAS, ORDER_SAGAS.STATUS.in(
        Arrays.stream(SagaStatus.values()).filter(SagaStatus::unfinished).map(Enum::name).toList())))
        .as("unfinished sagas").isZero());
    for (Order order : acknowledged) {
      assertThat(ownerView(buyers, order).getStatus()).isIn(ENDED);
    }
    // A create that failed gets its order when retried with the same request_id: the one the outage interrupted
    // (finished by now), or a new one when nothing was stored.
    for (CreateOrderRequest create : failedCreates) {
      Buyer buyer = create.getUserId() == buyers[0].userId() ? buyers[0] : buyers[1];
      assertThat(fixture.first().orders(buyer.token()).createOrder(create).getStatus()).isIn(ENDED);
    }
    System.out.printf("order shard-1 stopped under load: %d orders acknowledged, %d creates failed; %s%n",
        acknowledged.size(), failedCreates.size(), drill.summary());
  }

  /** A new buyer whose orders land on {@code shard}, with a SKU of its own kept on that shard. */
  private static Buyer buyerOn(int shard) {
    long userId;
    do {
      userId = fixture.createUser();
    } while (fixture.orderDb().shardOfId(userId).index() != shard);
    String sku;
    do {
      sku = fixture.newSku(1_000_000, 100);
    } while (fixture.orderDb().shardOfKey(sku).index() != shard);
    return new Buyer(userId, fixture.tokens().user(userId), sku, shard);
  }

  private static int shardOf(long orderId) {
    return fixture.orderDb().shardOfId(orderId).index();
  }

  private static Order ownerView(Buyer[] buyers, Order order) {
    Buyer buyer = order.getUserId() == buyers[0].userId() ? buyers[0] : buyers[1];
    return fixture.first().orders(buyer.token()).getOrder(GetOrderRequest.newBuilder().setId(order.getId()).build());
  }

  private static ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(fixture.orderService().channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }
}
