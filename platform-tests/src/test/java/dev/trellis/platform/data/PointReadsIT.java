package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.ShardsExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reads by id on real PostgreSQL shards: each alone, and the ones that waited while a shard's statement slot was
 * taken, together in one {@code = ANY(?)} statement; a row missing from a shard its bucket left is "moved".
 */
class PointReadsIT {
  /**
   * One point read at a time per shard, so that a second one waits and batches; a minute for statements and lock
   * waits, so that a read held by the test's table lock is never cut short by a busy machine.
   */
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate(Items.MIGRATIONS)
      .pools("test", ShardsExtension.SMALL_POOLS.withPointReads(1).withTimeouts(new ShardTimeouts(
          Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofSeconds(1))));

  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void eachReadFindsItsRowOnTheShardOfItsBucketOrNothing() {
    ShardedDatabase db = shards.freshDatabase("point_reads_alone");
    PointReads<Record> reads = db.pointReads(Items.TABLE, Items.ID);
    List<Integer> buckets = List.of(3, 300, 600, 1000); // one on each of the four shards
    for (int bucket : buckets) {
      Items.insert(db.shardOfBucket(bucket), id(bucket, 1), "item in " + bucket);
    }

    for (int bucket : buckets) {
      assertThat(reads.fetch(id(bucket, 1))).map(row -> row.get(Items.NAME)).contains("item in " + bucket);
      assertThat(reads.fetch(id(bucket, 2))).as("an id nobody wrote, its bucket owned here").isEmpty();
    }
  }

  @Test
  void withBatchingOffEachReadFindsItsRowOrNothingAlone() {
    ShardedDatabase db = shards.open(ShardsExtension.SMALL_POOLS.withPointReads(0));
    PointReads<Record> reads = db.pointReads(Items.TABLE, Items.ID);
    int bucket = 600;
    Items.insert(db.shardOfBucket(bucket), id(bucket, 77), "read alone");

    assertThat(reads.fetch(id(bucket, 77))).map(row -> row.get(Items.NAME)).contains("read alone");
    assertThat(reads.fetch(id(bucket, 78))).isEmpty();
    assertThat(reads.waiting(db.shardOfBucket(bucket))).as("no batcher at all").isZero();
  }

  @Test
  void readsThatWaitWhileTheShardsSlotIsTakenShareOneStatementAndEachGetsItsRow() throws Exception {
    ShardedDatabase db = shards.freshDatabase("point_reads_batched");
    PointReads<Record> reads = db.pointReads(Items.TABLE, Items.ID);
    int bucket = 300;
    Shard shard = db.shardOfBucket(bucket);
    for (int seq = 1; seq <= 3; seq++) {
      Items.insert(shard, id(bucket, seq), "item " + seq);
    }

    CompletableFuture<Optional<Record>> first;
    List<CompletableFuture<Optional<Record>>> waited;
    // A transaction holding the table's lock keeps the first read's statement running until it commits.
    try (Connection lock = shard.dataSource().getConnection(); Statement statement = lock.createStatement()) {
      lock.setAutoCommit(false);
      statement.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
      first = fetch(reads, id(bucket, 1));
      await().atMost(Duration.ofSeconds(20)).until(() -> lockWaiters(shard) == 1);
      waited = List.of(fetch(reads, id(bucket, 2)), fetch(reads, id(bucket, 3)), fetch(reads, id(bucket, 2)),
          fetch(reads, id(bucket, 9)));
      await().atMost(Duration.ofSeconds(20)).until(() -> reads.waiting(shard) == 4);
      lock.commit();
    }

    assertThat(name(first)).contains("item 1");
    assertThat(name(waited.get(0))).contains("item 2");
    assertThat(name(waited.get(1))).contains("item 3");
    assertThat(name(waited.get(2))).contains("item 2");
    assertThat(name(waited.get(3))).as("a row nobody wrote").isEmpty();
    assertThat(reads.waiting(shard)).isZero();
    assertThat(reads.fetch(id(bucket, 3))).as("the slot is free again").isPresent();
  }

  @Test
  void aRowMissingFromAShardItsBucketLeftIsMovedNotNotFound() {
    ShardTopology topology = shards.newDatabase("point_reads_moved");
    ShardMigrator.migrate(topology, Items.MIGRATIONS);
    // A directory fixed at the even ranges: this database never reads the move below (a replica far behind).
    try (ShardedDatabase db = ShardedDatabase.builder(topology).kind("test").pool(ShardsExtension.SMALL_POOLS)
        .directory(BucketDirectory.evenRanges(topology.size())).build()) {
      PointReads<Record> reads = db.pointReads(Items.TABLE, Items.ID);
      int bucket = 700;
      Items.insert(db.shardOfBucket(bucket), id(bucket, 1), "before the move");
      DirectoryStore.publish(db.shards().stream().map(s -> DSL.using(s.dataSource(), SQLDialect.POSTGRES)).toList(),
          db.router().directory().withBucketMoved(bucket, 3));

      assertThat(reads.fetch(id(bucket, 1))).as("a row still on the old shard is read there").isPresent();
      Throwable moved = catchThrowable(() -> reads.fetch(id(bucket, 2)));

      assertThat(moved).isInstanceOf(UnavailableException.class)
          .hasMessage("the test data moved to another shard; retry");
    }
  }

  private CompletableFuture<Optional<Record>> fetch(PointReads<Record> reads, long id) {
    return CompletableFuture.supplyAsync(() -> reads.fetch(id), threads);
  }

  private static Optional<String> name(CompletableFuture<Optional<Record>> read) throws Exception {
    return read.get(20, TimeUnit.SECONDS).map(row -> row.get(Items.NAME));
  }

  private static long id(int bucket, int seq) {
    return ShardId.of(Instant.parse("2026-01-01T00:00:00Z"), bucket, seq);
  }

  /** Backends of this shard's database waiting for a lock. */
  private static int lockWaiters(Shard shard) {
    return shard.read(dsl -> dsl.fetchSingle("SELECT count(*) FROM pg_stat_activity"
        + " WHERE datname = current_database() AND wait_event_type = 'Lock'").get(0, Integer.class));
  }
}
