package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.SIM_PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.store.SagaJournal;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An order's bucket moves while its saga waits on the payment provider. order-service reads the directory only
 * every minute here, so the saga's next write goes to the old shard and is refused by the fence: the saga goes on on
 * the new owner at once (not after its 60 s lease runs out), ends CONFIRMED with one charge, and the copy the old
 * shard keeps for the grace is never taken over there, even with its lease run out.
 */
class SagaAcrossMoveIT {
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.withSettings(Map.of(
      "TRELLIS_DIRECTORY_POLL", "1m",
      // A saga spends this long in process_payment: long enough to move its bucket meanwhile.
      "TRELLIS_ORDER_SIM_PAYMENT_LATENCY", "1500ms"));

  @Test
  void aSagaWhoseBucketMovesMidRunFinishesOnceOnTheNewOwner() throws Exception {
    long userId = fixture.createUser();
    String sku = fixture.newSku(5, 100);
    CreateOrderRequest request = order(userId, sku).build();
    int bucket = ShardId.bucketOf(userId);
    ShardedDatabase db = fixture.orderDb();
    int from = db.router().shardOfBucket(bucket);
    int to = (from + 1) % db.shards().size();
    String inPayment = "order_sagas s JOIN orders o ON o.id = s.order_id WHERE o.user_id = " + userId
        + " AND s.current_step = 'process_payment'";
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<Answer> placing = callers.submit(() -> create(request));
      await().atMost(Duration.ofSeconds(30)).until(() -> rows(db.shard(from), inPayment) == 1);

      // The source rows outlive the payment: the saga's next write reaches the old shard while they are there
      // (the stale directory is the point here; TRELLIS_MOVE_SOURCE_GRACE keeps them long enough in production).
      BucketMover.builder(db).deleteAfter(Duration.ofSeconds(4)).build().move(bucket, to);

      Answer placed = placing.get(60, TimeUnit.SECONDS);
      long orderId = placed.order().getId();
      await().atMost(Duration.ofSeconds(30)).until(() -> fixture.first().orders(fixture.admin())
          .getOrder(GetOrderRequest.newBuilder().setId(orderId).build()).getStatus()
          == OrderStatus.ORDER_STATUS_CONFIRMED);
      assertThat(rows(db.shard(to), "order_sagas WHERE status = 'COMPLETED' AND order_id = " + orderId)).isOne();
      assertThat(rows(db.shard(from), "order_sagas WHERE order_id = " + orderId)).isZero();
      assertThat(fixture.ordersOf(userId)).isOne();
      assertThat(fixture.count(SIM_PAYMENTS, SIM_PAYMENTS.IDEMPOTENCY_KEY.eq("order_" + orderId
          + "/process_payment"))).as("one charge").isOne();
      assertThat(fixture.stock(sku).getSold()).isOne();
      assertThat(create(request).order().getId()).as("a replay after the move").isEqualTo(orderId);
    }
  }

  @Test
  void theCopyAMovedSagaLeavesOnTheOldShardIsNeverTakenOverThere() {
    long userId = fixture.createUser();
    long orderId = fixture.first().orders(fixture.admin()).createOrder(order(userId, fixture.newSku(5, 100))
        .build()).getId();
    int bucket = ShardId.bucketOf(userId);
    ShardedDatabase db = fixture.orderDb();
    int from = db.router().shardOfBucket(bucket);
    SagaJournal recovery = new SagaJournal(db, Clock.systemUTC(), "recovery", Duration.ofMinutes(1));
    List<Long> claimedOnSource = new ArrayList<>();

    BucketMover.builder(db).deleteAfter(Duration.ofMillis(500)).progress(step -> {
      if (step == BucketMover.Step.PUBLISHED) {
        // During the grace, make the old shard's copy look like a saga whose driver died: unfinished, lease out.
        db.shard(from).read(dsl -> {
          dsl.transaction(tx -> {
            tx.dsl().execute("SET LOCAL trellis.fence = 'off'");
            tx.dsl().execute("UPDATE order_sagas SET status = 'IN_PROGRESS', lease_until = now() - interval"
                + " '1 minute' WHERE order_id = ?", orderId);
          });
          return null;
        });
        // A recovery round over the old shard: it must neither take it nor fail on it.
        claimedOnSource.addAll(recovery.claimExpired(from, 100));
      }
    }).build().move(bucket, (from + 1) % db.shards().size());

    assertThat(claimedOnSource).isEmpty();
    assertThat(rows(db.shard(from), "order_sagas WHERE order_id = " + orderId)).isZero();
    assertThat(rows(db.shard((from + 1) % db.shards().size()), "order_sagas WHERE status = 'COMPLETED'"
        + " AND order_id = " + orderId)).isOne();
  }

  private static long rows(Shard shard, String tableAndCondition) {
    return shard.read(dsl -> ((Number) dsl.fetchValue("SELECT count(*) FROM " + tableAndCondition)).longValue());
  }

  private static Answer create(CreateOrderRequest request) {
    return new Answer(fixture.first().orders(fixture.admin()).createOrder(request));
  }

  private record Answer(Order order) {}
}
