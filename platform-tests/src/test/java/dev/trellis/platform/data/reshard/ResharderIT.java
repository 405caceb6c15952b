package dev.trellis.platform.data.reshard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRecord;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.ShardsExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reshard program's workflow on real PostgreSQL, under writers that go through a database following the
 * directory: 4 shards grow to 5 (one registers and joins; its server is stopped in the middle of a bucket's move,
 * between the copy and the cut-over, and the run fails; started again, a rerun continues; shrinking is proven end to
 * end by order-service's ReshardUnderLoadIT); every acknowledged increment is on the shard the directory
 * names, exactly once, and each account exists exactly once over all shards.
 */
class ResharderIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();
  /** The shard that joins, on a server of its own: the test stops it. */
  @RegisterExtension
  static final ShardsExtension joining = ShardsExtension.own(1);

  private static final String MIGRATIONS = "classpath:db/fenceddata";
  private static final ShardPoolSettings FAST_POLL =
      ShardsExtension.SMALL_POOLS.withDirectoryPoll(Duration.ofMillis(50));
  private static final Duration GRACE = Duration.ofMillis(60);

  @Test
  void growsFourToFiveAndARunStoppedByItsTargetShardContinuesWithEveryAckedWriteOnceOnItsOwner()
      throws Exception {
    ShardTopology four = shards.newDatabase("reshard");
    ShardMigrator.migrate(four, MIGRATIONS);
    ShardTopology five = withExtra(four, 1);
    int moves = ReshardPlan.of(BucketDirectory.evenRanges(4), 5).moves().size();
    try (ShardedDatabase db = ShardedDatabase.builder(four).kind("test").pool(FAST_POLL).build()) {
      List<Long> accounts = new ArrayList<>();
      for (int bucket = 0; bucket < ShardId.BUCKETS; bucket += 4) {
        long id = ShardId.of(Instant.now(), bucket, 7);
        db.shardOfId(id).read(dsl -> dsl.execute("INSERT INTO accounts (id, balance) VALUES (?, 0)", id));
        accounts.add(id);
      }
      Writers writers = new Writers(db, accounts);
      writers.start(3);

      // The joining shard stops right after the copy of a bucket moving to it, before the cut-over: the run fails.
      List<ReshardPlan.Move> planned = ReshardPlan.of(BucketDirectory.evenRanges(4), 5).moves();
      int stopAt = 20;
      while (planned.get(stopAt - 1).to() != 4) {
        stopAt++;
      }
      int stopAfter = stopAt;
      AtomicInteger copies = new AtomicInteger();
      Resharder stopping = Resharder.builder(five, MIGRATIONS).database("accounts").shards(5).grace(GRACE)
          .steps(step -> {
            if (step == BucketMover.Step.COPIED && copies.incrementAndGet() == stopAfter) {
              joining.servers().stop(0);
            }
          }).build();
      assertThat(org.assertj.core.api.Assertions.catchThrowable(stopping::run)).isNotNull();
      joining.servers().start(0);
      ReshardStatus stopped = Resharder.status(four, "accounts");
      assertThat(stopped.unfinished()).hasSize(1).allSatisfy(m -> assertThat(m).contains("to shard 4: COPYING"));
      assertThat(stopped.directory().shards()).extracting(ShardRecord::state).containsExactly(
          ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE,
          ShardRecord.State.JOINING);

      List<ReshardProgress> progress = new ArrayList<>();
      ReshardReport grown = Resharder.builder(five, MIGRATIONS).database("accounts").shards(5).grace(GRACE)
          .progress(progress::add).build().run();

      assertThat(grown.buckets() + stopAfter - 1).isEqualTo(moves);
      assertThat(grown.shards()).isEqualTo(5);
      assertThat(grown.pauseMax()).isPositive().isGreaterThanOrEqualTo(grown.pauseP99());
      assertThat(progress.getLast().moved()).isEqualTo(progress.getLast().total()).isEqualTo(grown.buckets());
      System.out.println(grown.describe());
      ReshardStatus atFive = Resharder.status(four, "accounts");
      assertThat(atFive.bucketsLeft()).isZero();
      assertThat(atFive.unfinished()).isEmpty();
      assertThat(atFive.directory().shards()).extracting(ShardRecord::state).containsOnly(ShardRecord.State.ACTIVE);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> db.shards().size() == 5);

      long ackedAtEnd = writers.acked.get();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> writers.acked.get() > ackedAtEnd + 30);
      writers.stop();
      BucketDirectory end = Resharder.status(four, "accounts").directory();
      assertThat(ReshardPlan.of(end, 5).done()).as("every bucket where the even ranges of 5 put it").isTrue();

      List<DSLContext> all = five.shards().stream().map(ShardsExtension::dsl).toList();
      for (long id : accounts) {
        int owner = end.shardOf(ShardId.bucketOf(id));
        for (int s = 0; s < all.size(); s++) {
          Long balance = (Long) all.get(s).fetchValue("SELECT balance FROM accounts WHERE id = ?", id);
          if (s == owner) {
            assertThat(balance).as("account %d on its owner %d", id, owner)
                .isEqualTo(writers.ackedOf.getOrDefault(id, new AtomicLong()).get());
          } else {
            assertThat(balance).as("account %d on shard %d, which does not own it", id, s).isNull();
          }
        }
      }
      assertThat(writers.failures).as("writers saw only retryable refusals").isEmpty();
    }

    // The program's --status, as a Job or ./trellis reshard --status prints it.
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    Map<String, String> env = new java.util.HashMap<>(four.toSettings());
    env.put(ReshardProgram.STATUS, "true");
    env.put(ShardMigrator.LOCATIONS, MIGRATIONS);
    assertThat(ReshardProgram.run(dev.trellis.platform.config.Settings.of(env),
        new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8))).isZero();
    assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8))
        .contains("fenceddata: directory version")
        .contains("shard 4  ACTIVE")
        .contains("balanced")
        .doesNotContain("password");
    env.remove(ReshardProgram.STATUS);
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ReshardProgram.run(
        dev.trellis.platform.config.Settings.of(env), System.out)))
        .isInstanceOf(dev.trellis.platform.config.ConfigException.class)
        .hasMessage(ReshardProgram.SHARDS + " is required: how many shards serve after the reshard");
  }

  /** {@code four} and {@code extra} more shards: other databases on the first servers (a shard is a database). */
  static ShardTopology withExtra(ShardTopology four, int extra) {
    List<ShardSpec> specs = new ArrayList<>(four.shards());
    for (int i = 0; i < extra; i++) {
      ShardSpec spare = joining.newDatabase("reshard_extra").shards().get(i);
      specs.add(new ShardSpec(ShardTopology.shardName(4 + i), spare.jdbcUrl(), spare.user(), spare.password()));
    }
    return new ShardTopology(specs);
  }

  /** Increment random accounts; an increment is acknowledged once its transaction committed one row. */
  static final class Writers {
    final ShardedDatabase db;
    final List<Long> accounts;
    final AtomicLong acked = new AtomicLong();
    final Map<Long, AtomicLong> ackedOf = new ConcurrentHashMap<>();
    final List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();

    Writers(ShardedDatabase db, List<Long> accounts) {
      this.db = db;
      this.accounts = accounts;
    }

    void start(int count) {
      for (int t = 0; t < count; t++) {
        threads.add(Thread.ofPlatform().daemon().start(this::write)); // daemon: a failed test never hangs the JVM
      }
    }

    private void write() {
      java.util.Random random = new java.util.Random();
      while (!stop.get()) {
        long id = accounts.get(random.nextInt(accounts.size()));
        try {
          int updated = db.shardOfId(id).transaction(dsl -> dsl.execute(
              "UPDATE accounts SET balance = balance + 1 WHERE id = ?", id));
          if (updated == 1) {
            ackedOf.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet();
            acked.incrementAndGet();
          }
          // 0 rows: a replica on an old directory version found the source rows gone; not acknowledged, retried.
        } catch (UnavailableException e) {
          // refused by the fence (the bucket moved) or a pool closing: retryable, not acknowledged
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
    }
  }
}
