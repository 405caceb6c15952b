package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.error.UnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.Test;

/** Faults and restarts on shards of its own (the shared test shards must never stop). */
class EmbeddedShardsIT {
  private static final Table<Record> ITEMS = DSL.table(DSL.name("items"));
  private static final Field<Long> ID = DSL.field(DSL.name("id"), SQLDataType.BIGINT);
  private static final Field<String> NAME = DSL.field(DSL.name("name"), SQLDataType.CLOB);
  private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);

  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.own(2).migrate(Items.MIGRATIONS)
      .pools("test", new ShardPoolSettings(3, CONNECTION_TIMEOUT, 16));
  private final ShardedDatabase db = shards.database();

  private static long count(Shard shard) {
    return shard.read(dsl -> (long) dsl.fetchCount(ITEMS));
  }

  @Test
  void stoppedShardFailsFastWithUnavailableWhileTheOtherServesAndRecoversWithoutRestart() throws Exception {
    Shard healthy = db.shard(0);
    Shard victim = db.shard(1);
    AtomicLong healthyReads = new AtomicLong();
    AtomicBoolean loading = new AtomicBoolean(true);
    ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<?>> loaders = new ArrayList<>();
    try {
      for (int t = 0; t < 2; t++) {
        loaders.add(load.submit(() -> {
          while (loading.get()) {
            count(healthy);
            healthyReads.incrementAndGet();
          }
          return null;
        }));
        loaders.add(load.submit(() -> {
          while (loading.get()) {
            try {
              count(victim);
            } catch (UnavailableException expectedWhileStopped) {
              // Callers of the stopped shard keep trying through the outage. Once its check finds it down, its
              // calls fail without blocking: yield, as a call's network round trip would, or these loops would
              // keep the carrier threads from the healthy shard's readers.
              Thread.yield();
            }
          }
          return null;
        }));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> healthyReads.get() > 100);

      shards.servers().stop(1);
      long startedAt = System.nanoTime();
      assertThatThrownBy(() -> count(victim))
          .isInstanceOfSatisfying(UnavailableException.class, e -> {
            assertThat(e.getMessage()).isEqualTo("a test shard is unavailable; retry later");
            assertThat(e.getMessage()).doesNotContain("localhost", "jdbc", String.valueOf(shards.servers().port(1)));
          });
      Duration failedAfter = Duration.ofNanos(System.nanoTime() - startedAt);
      // Generous bound: the point is "about the connection timeout", not "after a TCP or socket timeout".
      assertThat(failedAfter).isLessThan(CONNECTION_TIMEOUT.multipliedBy(4));
      assertThatThrownBy(() -> ScatterGatherFaults.countAll(db, ITEMS)).isInstanceOf(UnavailableException.class);

      long before = healthyReads.get();
      await().atMost(Duration.ofSeconds(10)).until(() -> healthyReads.get() > before + 100);
      assertThat(count(healthy)).isNotNegative();

      shards.servers().start(1);
      await().atMost(Duration.ofSeconds(30)).ignoreException(UnavailableException.class)
          .until(() -> count(victim) >= 0);
      assertThat(ScatterGatherFaults.countAll(db, ITEMS)).isNotNegative();
      loading.set(false);
      for (Future<?> loader : loaders) {
        loader.get(); // the healthy shard's readers never failed; the victim's failed only with UNAVAILABLE
      }
    } finally {
      loading.set(false);
      load.close();
    }
  }

  @Test
  void shardStoppedMidStreamFailsTheStreamWithUnavailableAtItsNextBatch() {
    for (Shard shard : db.shards()) {
      shard.transaction(dsl -> {
        for (long id = 2001; id <= 2200; id++) {
          if (id % 2 == shard.index()) {
            dsl.insertInto(ITEMS).set(ID, id).set(NAME, "streamed").onConflictDoNothing().execute();
          }
        }
        return null;
      });
    }
    try (MergedCursor<Long> cursor = ScatterGatherFaults.streamIds(db, ITEMS)) {
      // Batches of 16: 40 rows in, each shard has been asked at least twice and has more to give.
      for (int i = 0; i < 40; i++) {
        cursor.next();
      }
      shards.servers().stop(1);
      assertThatThrownBy(() -> cursor.forEachRemaining(id -> { }))
          .isInstanceOfSatisfying(UnavailableException.class,
              e -> assertThat(e.getMessage()).isEqualTo("a test shard is unavailable; retry later"));
      assertThat(cursor.hasNext()).isFalse();
    } finally {
      shards.servers().start(1);
    }
    await().atMost(Duration.ofSeconds(30)).ignoreException(UnavailableException.class)
        .until(() -> count(db.shard(1)) >= 0);
  }

  @Test
  void transactionCutByAShardStopLeavesNothing() {
    Shard shard = db.shard(1);
    shard.read(dsl -> dsl.deleteFrom(ITEMS).where(ID.eq(77L)).execute());
    assertThatThrownBy(() -> shard.transaction(dsl -> {
      dsl.insertInto(ITEMS).set(ID, 77L).set(NAME, "half").execute();
      shards.servers().stop(1); // the server goes down before the commit
      return dsl.insertInto(ITEMS).set(ID, 78L).set(NAME, "never").execute();
    })).isInstanceOf(UnavailableException.class);
    shards.servers().start(1);
    await().atMost(Duration.ofSeconds(30)).ignoreException(UnavailableException.class)
        .until(() -> shard.read(dsl -> dsl.fetchCount(ITEMS, ID.in(77L, 78L))) == 0);
  }

  @Test
  void restartOnTheSameStateDirectoryKeepsDataAndPorts() {
    db.shard(0).read(dsl -> dsl.insertInto(ITEMS).set(ID, 1001L).set(NAME, "kept").execute());
    int port0 = shards.servers().port(0);
    int port1 = shards.servers().port(1);
    shards.stopServers();

    // Another shard count on the same state would route ids to the wrong shards: refused before anything starts.
    assertThatThrownBy(() -> EmbeddedShards.builder(shards.stateDirectory()).shards(3).durable(false).start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("holds 2 shards, not 3");
    shards.startServers();
    assertThat(shards.servers().port(0)).isEqualTo(port0);
    assertThat(shards.servers().port(1)).isEqualTo(port1);
    ShardMigrator.migrate(shards.topology(), Items.MIGRATIONS); // already applied: a no-op
    String name = shards.database().shard(0)
        .read(dsl -> dsl.fetchValue(DSL.select(NAME).from(ITEMS).where(ID.eq(1001L))));
    assertThat(name).isEqualTo("kept");
  }
}
