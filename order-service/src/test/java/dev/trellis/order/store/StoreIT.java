package dev.trellis.order.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.rules.ShippingAddress;
import dev.trellis.order.store.InventoryStore.Reservation.Outcome;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.ShardsExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store on real PostgreSQL: inventory actions repeated after a crash act once; saga leases keep two replicas
 * from driving one saga; old idempotency keys are purged.
 */
class StoreIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate(OrderShards.MIGRATIONS)
      .pools("order", ShardsExtension.SMALL_POOLS);
  private static ShardedDatabase db;
  private static InventoryStore inventory;

  @BeforeAll
  static void open() {
    db = shards.database();
    inventory = new InventoryStore(db, java.time.Clock.systemUTC());
  }

  @Test
  void aRepeatedReserveReservesOnceAndARepeatedReleaseReleasesOnce() {
    String sku = sku(5);

    assertThat(inventory.reserve(1, sku, 2).outcome()).isEqualTo(Outcome.RESERVED);
    assertThat(inventory.reserve(1, sku, 2).outcome()).isEqualTo(Outcome.RESERVED);
    assertThat(counts(sku)).containsExactly(3L, 2L, 0L);
    inventory.release(1, sku, 2);
    inventory.release(1, sku, 2);
    assertThat(counts(sku)).containsExactly(5L, 0L, 0L);
  }

  @Test
  void theSameReserveRunningEightTimesAtOnceReservesOnce() throws Exception {
    String sku = sku(50);

    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Outcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        outcomes.add(callers.submit(() -> {
          go.await();
          return inventory.reserve(3, sku, 4).outcome();
        }));
      }
      go.countDown();
      for (Future<Outcome> outcome : outcomes) {
        assertThat(outcome.get()).isEqualTo(Outcome.RESERVED);
      }
    }
    assertThat(counts(sku)).containsExactly(46L, 4L, 0L);
  }

  @Test
  void aReleaseBeforeItsReserveStopsTheLateReserve() {
    String sku = sku(5);

    inventory.release(7, sku, 1); // the reserve timed out on the saga's side and was compensated

    assertThat(inventory.reserve(7, sku, 1).outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(counts(sku)).containsExactly(5L, 0L, 0L);
  }

  @Test
  void confirmingTwiceSellsOnceAndReleasingSoldUnitsReturnsThem() {
    String sku = sku(5);
    inventory.reserve(9, sku, 3);

    inventory.confirm(9, sku);
    inventory.confirm(9, sku);
    assertThat(counts(sku)).containsExactly(2L, 0L, 3L);
    inventory.release(9, sku, 3); // a confirmed order is cancelled
    assertThat(counts(sku)).containsExactly(5L, 0L, 0L);
  }

  @Test
  void tooLittleStockOrAnUnknownSkuReservesNothing() {
    String sku = sku(1);

    assertThat(inventory.reserve(11, sku, 2)).isEqualTo(new InventoryStore.Reservation(Outcome.OUT_OF_STOCK, 1));
    assertThat(inventory.reserve(11, "unknown-" + UUID.randomUUID(), 1).outcome()).isEqualTo(Outcome.UNKNOWN_SKU);
    assertThat(inventory.reserve(12, sku, 1).outcome()).isEqualTo(Outcome.RESERVED);
    assertThat(counts(sku)).containsExactly(0L, 1L, 0L);
  }

  @Test
  void aSagaIsDrivenByTheReplicaHoldingItsLeaseUntilItRunsOut() {
    SagaJournal a = new SagaJournal(db, java.time.Clock.systemUTC(), "replica-a", Duration.ofSeconds(1));
    SagaJournal b = new SagaJournal(db, java.time.Clock.systemUTC(), "replica-b", Duration.ofSeconds(1));
    long user = ShardId.of(Instant.now(), 17, 1);
    SagaRecord saga = a.begin(draft(user, "k-" + UUID.randomUUID()), SagaContext.empty(),
        List.of("verify_user"), "reserve_inventory");
    int shard = db.shardOfId(saga.order().id()).index();

    assertThat(b.claimExpired(shard, 100)).doesNotContain(saga.order().id());
    // Once the lease has run out (by the database's clock), the other replica takes the saga over.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> b.claimExpired(shard, 100).contains(saga.order().id()));

    assertThatThrownBy(() -> a.stepCompleted(saga, "reserve_inventory", Map.of(), "process_payment",
        OrderChange.none())).isInstanceOf(LeaseLostException.class);
    SagaRecord byB = b.stepCompleted(b.load(saga.order().id()).orElseThrow(), "reserve_inventory",
        Map.of("lines", "1"), "process_payment", OrderChange.none());
    assertThat(byB.saga().completedSteps()).containsExactly("verify_user", "reserve_inventory");
    assertThat(byB.saga().context().get("reserve_inventory", "lines")).hasValue("1");
  }

  @Test
  void aStepIsRecordedAsAHotUpdateThatWritesNoIndex() {
    SagaJournal journal = new SagaJournal(db, java.time.Clock.systemUTC(), "replica-a", Duration.ofMinutes(1));
    SagaRecord saga = journal.begin(draft(ShardId.of(Instant.now(), 18, 1), "k-" + UUID.randomUUID()),
        SagaContext.empty(), List.of("verify_user"), "reserve_inventory");
    DSLContext shard = ShardsExtension.dsl(shards.topology().shards().get(db.shardOfId(saga.order().id()).index()));
    // The columns a step writes (V8__saga_steps_as_hot_updates.sql): in no index's key, expression or predicate.
    List<String> indexes = shard.fetch("SELECT pg_get_indexdef(indexrelid) FROM pg_index "
        + "WHERE indrelid = 'order_sagas'::regclass").getValues(0, String.class);
    assertThat(indexes).hasSize(4).allSatisfy(index -> assertThat(index)
        .doesNotContain("lease_until", "lease_owner", "current_step", "completed_steps", "context", "updated_at"));
    long hotBefore = hotUpdatesOfSagas(shard);

    journal.stepCompleted(saga, "reserve_inventory", Map.of("lines", "1"), "process_payment", OrderChange.none());

    // PostgreSQL publishes a backend's table statistics within seconds of its transaction, not at once.
    await().atMost(Duration.ofSeconds(30)).until(() -> hotUpdatesOfSagas(shard) > hotBefore);
  }

  private static long hotUpdatesOfSagas(DSLContext shard) {
    return shard.fetchSingle("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'order_sagas'")
        .get(0, Long.class);
  }

  @Test
  void aSecondOrderWithTheSameKeyIsRefusedAndStoresNothing() {
    SagaJournal journal = new SagaJournal(db, java.time.Clock.systemUTC(), "replica", Duration.ofMinutes(1));
    long user = ShardId.of(Instant.now(), 33, 1);
    journal.begin(draft(user, "same"), SagaContext.empty(), List.of(), "reserve_inventory");

    assertThatThrownBy(() -> journal.begin(draft(user, "same"), SagaContext.empty(), List.of(), "x"))
        .isInstanceOf(IdempotencyKeyTakenException.class);
    assertThat(new OrderStore(db, pageTokens()).list(user, 10, "").orders()).hasSize(1);
  }

  @Test
  void sagaWritesThatFindNoRowOnAShardTheBucketLeftAreRetryableNotNothingOrALostLease() {
    ShardTopology topology = shards.newDatabase("stale_saga");
    ShardMigrator.migrate(topology, OrderShards.MIGRATIONS);
    List<DSLContext> tables = topology.shards().stream().map(ShardsExtension::dsl).toList();
    BucketDirectory before = DirectoryStore.readNewest(tables).orElseThrow();
    // A replica that never reads the directory again: it routes by the version before the move.
    try (ShardedDatabase stale = ShardedDatabase.builder(topology).kind("order").directory(before).build()) {
      SagaJournal journal = new SagaJournal(stale, java.time.Clock.systemUTC(), "replica", Duration.ofMinutes(1));
      int bucket = 300;
      int from = before.shardOf(bucket);
      SagaRecord saga = journal.begin(draft(ShardId.of(Instant.now(), bucket, 1), "k-" + UUID.randomUUID()),
          SagaContext.empty(), List.of("verify_user"), "reserve_inventory");
      long neverIssued = ShardId.of(Instant.now(), bucket, 2);
      assertThat(journal.requestCancel(neverIssued, "why", plan -> plan))
          .as("on the owner").isEqualTo(SagaJournal.Cancellation.NOTHING);

      // The bucket moves on (ownership only: nothing is copied here) and its source rows go, as after the grace.
      DirectoryStore.publish(tables, before.withBucketMoved(bucket, (from + 1) % tables.size()));
      tables.get(from).transaction(tx -> {
        tx.dsl().execute("SET LOCAL trellis.fence = 'off'");
        tx.dsl().execute("DELETE FROM order_sagas WHERE order_id = ?", saga.order().id());
      });
      assertThatThrownBy(() -> journal.requestCancel(neverIssued, "why", plan -> plan))
          .as("a cancel on the shard the bucket left").isInstanceOf(UnavailableException.class);
      assertThatThrownBy(() -> journal.stepCompleted(saga, "reserve_inventory", Map.of(), "process_payment",
          OrderChange.none())).as("a step on the shard the bucket left: moved, not a lost lease")
          .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.isBucketMoved()).isTrue());
    }
  }

  @Test
  void keysOlderThanTheRetentionArePurged() {
    MutableClock clock = MutableClock.startingNow();
    IdempotencyKeys keys = new IdempotencyKeys(db, clock);
    long user = ShardId.of(Instant.now(), 44, 1);
    clock.advance(Duration.ofHours(-25));
    keys.recordError(user, "old", new byte[] {1}, new byte[] {2});
    clock.advance(Duration.ofHours(25));
    keys.recordError(user, "new", new byte[] {1}, new byte[] {2});

    keys.purgeOlderThan(Duration.ofHours(24), clock.instant());

    assertThat(keys.find(user, "old")).isEmpty();
    assertThat(keys.find(user, "new")).isPresent();
  }

  private static OrderDraft draft(long user, String key) {
    return new OrderDraft(user, List.of(new OrderLine("sku", 1, 100)),
        new ShippingAddress("Ada", "1 Way", "", "Berlin", "10115", "DE"), key, new byte[] {1});
  }

  private static dev.trellis.platform.data.query.PageTokenCodec pageTokens() {
    return new dev.trellis.platform.data.query.PageTokenCodec(new byte[32], java.time.Clock.systemUTC(),
        Duration.ofHours(1));
  }

  private static String sku(long available) {
    String sku = "store-it-" + UUID.randomUUID();
    inventory.set(sku, available, 100);
    return sku;
  }

  private static List<Long> counts(String sku) {
    Stock stock = inventory.get(sku);
    return List.of(stock.available(), stock.reserved(), stock.sold());
  }
}
