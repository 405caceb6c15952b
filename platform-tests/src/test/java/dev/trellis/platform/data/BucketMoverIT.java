package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.ShardsExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A bucket moves between two shards while writers keep writing to it and to other buckets, through a database that
 * routes by the directory it polls: every acknowledged write ends up on the new owner exactly once, nothing of a
 * refused one anywhere; a mover stopped mid-way finishes when run again.
 */
class BucketMoverIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  private static final ShardPoolSettings FAST_POLL =
      ShardsExtension.SMALL_POOLS.withDirectoryPoll(Duration.ofMillis(100));
  private static final String TABLES = """
      CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
      CREATE TABLE entries (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id));
      CREATE TABLE handles (handle text PRIMARY KEY, account_id bigint NOT NULL);
      CREATE TABLE feed (seq bigserial PRIMARY KEY, account_id bigint NOT NULL);
      CREATE TRIGGER accounts_fence BEFORE INSERT OR UPDATE OR DELETE ON accounts
        FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
      CREATE TRIGGER entries_fence BEFORE INSERT OR UPDATE OR DELETE ON entries
        FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
      CREATE TRIGGER handles_fence BEFORE INSERT OR UPDATE OR DELETE ON handles
        FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('handle', 'key');
      CREATE TRIGGER feed_fence BEFORE INSERT ON feed
        FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('account_id', 'id');
      """;
  private static final int MOVED = 100; // on shard 0 of 4
  private static final int STAYS = 101; // on shard 0 too: its writes must never pause
  private static final int TARGET = 3;

  @Test
  void aBucketMovesUnderConcurrentWritesWithEveryAcknowledgedWriteOnTheNewOwnerOnce() throws Exception {
    try (ShardedDatabase db = database("mover_live")) {
      long moved = account(db, MOVED);
      long stays = account(db, STAYS);
      String handle = handleIn(MOVED);
      db.shardOfKey(handle).read(dsl -> dsl.execute("INSERT INTO handles VALUES (?, ?)", handle, moved));
      Writers writers = new Writers(db, List.of(moved, stays));
      writers.start(3);
      await().atMost(Duration.ofSeconds(30)).until(() -> writers.acked(moved) >= 30 && writers.acked(stays) >= 30);

      BucketMover.Report report = mover(db).build().move(MOVED, TARGET);

      long ackedAtMove = writers.acked(moved) + writers.acked(stays);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> writers.acked(moved) + writers.acked(stays) >= ackedAtMove + 60);
      writers.stop();

      assertThat(report.from()).isZero();
      assertThat(report.to()).isEqualTo(TARGET);
      assertThat(report.rowsCopied()).isPositive();
      assertThat(report.writePause()).isPositive();
      System.out.printf("bucket move: %d rows copied, write pause %d ms, %d writes refused and retried%n",
          report.rowsCopied(), report.writePause().toMillis(), writers.refused.get());
      assertThat(writers.refusedOf.get(stays)).as("writes to another bucket are never refused").hasValue(0);
      await().atMost(Duration.ofSeconds(10)).until(() -> db.router().shardOfBucket(MOVED) == TARGET);
      assertOwnedOnlyBy(db, MOVED, TARGET);
      assertOwnedOnlyBy(db, STAYS, 0);

      // Every acknowledged write exactly once, on the shard the directory names; nothing else.
      for (long account : List.of(moved, stays)) {
        int owner = db.router().shardOfId(account);
        Set<Long> acked = writers.entries.get(account);
        for (Shard shard : db.shards()) {
          List<Long> held = shard.read(dsl -> dsl.fetch("SELECT id FROM entries WHERE account_id = ?", account)
              .getValues(0, Long.class));
          if (shard.index() == owner) {
            assertThat(held).as("entries of %d on its owner", account).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(acked);
            long balance = shard.read(dsl -> ((Number) dsl.fetchValue("SELECT balance FROM accounts WHERE id = ?",
                account)).longValue());
            assertThat(balance).as("one increment per acknowledged write").isEqualTo(acked.size());
          } else {
            assertThat(held).as("entries of %d on shard %d", account, shard.index()).isEmpty();
          }
        }
      }
      assertThat(count(db.shard(TARGET), "handles WHERE handle = '" + handle + "'")).isEqualTo(1);
      assertThat(count(db.shard(0), "handles WHERE handle = '" + handle + "'")).isZero();
      // The append-only feed keeps its rows where they were written, and new ones go to the new owner.
      assertThat(count(db.shard(0), "feed WHERE account_id = " + moved)).isPositive();
      assertThat(count(db.shard(TARGET), "feed WHERE account_id = " + moved)).isPositive();
      assertThat(count(db.shard(0), "trellis_bucket_move WHERE state = 'DONE' AND bucket = " + MOVED)).isEqualTo(1);
    }
  }

  @Test
  void aMoverStoppedAfterAnyStepFinishesWhenRunAgain() {
    try (ShardedDatabase db = database("mover_resume")) {
      long account = account(db, MOVED);
      db.shardOfId(account).read(dsl -> dsl.execute("UPDATE accounts SET balance = 7 WHERE id = ?", account));
      int next = 1;
      for (BucketMover.Step stopAt : List.of(BucketMover.Step.COPIED, BucketMover.Step.CUT_OVER,
          BucketMover.Step.PUBLISHED)) {
        int to = next;
        int from = db.router().shardOfBucket(MOVED);
        BucketMover stopping = mover(db).progress(step -> {
          if (step == stopAt) {
            throw new IllegalStateException("stopped at " + step);
          }
        }).build();
        assertThatThrownBy(() -> stopping.move(MOVED, to)).hasMessage("stopped at " + stopAt);
        if (stopAt == BucketMover.Step.CUT_OVER) {
          // Between giving the bucket up and the directory naming the target, no shard owns it.
          assertThat(ownersOf(db, MOVED)).isEmpty();
        }

        BucketMover.Report report = mover(db).build().move(MOVED, to);

        assertThat(report.from()).isEqualTo(from);
        await().atMost(Duration.ofSeconds(10)).until(() -> db.router().shardOfBucket(MOVED) == to);
        assertOwnedOnlyBy(db, MOVED, to);
        for (Shard shard : db.shards()) {
          assertThat(count(shard, "accounts WHERE id = " + account + " AND balance = 7"))
              .as("after stopping at %s, shard %d", stopAt, shard.index()).isEqualTo(shard.index() == to ? 1 : 0);
        }
        next = to == 1 ? 2 : 1; // and back again, stopped at the next step
      }
    }
  }

  @Test
  void theCatchUpCopiesOnlyTheRowsWrittenDuringTheCopy() {
    try (ShardedDatabase db = database("mover_catch_up")) {
      long account = account(db, MOVED);
      Shard source = db.shardOfBucket(MOVED);
      source.read(dsl -> dsl.execute("INSERT INTO entries SELECT trellis_next_id(?), ? FROM generate_series(1, 200)",
          MOVED, account));
      List<Long> written = new ArrayList<>();
      BucketMover mover = mover(db).progress(step -> {
        if (step == BucketMover.Step.COPIED) {
          // Written after the copy, before the cut-over: two entries, the balance, and one entry gone.
          source.transaction(dsl -> {
            for (int i = 0; i < 2; i++) {
              long id = Shard.nextId(dsl, MOVED);
              dsl.execute("INSERT INTO entries VALUES (?, ?)", id, account);
              written.add(id);
            }
            dsl.execute("UPDATE accounts SET balance = 42 WHERE id = ?", account);
            return dsl.execute("DELETE FROM entries WHERE id = (SELECT min(id) FROM entries WHERE account_id = ?)",
                account);
          });
        }
      }).build();

      BucketMover.Report report = mover.move(MOVED, TARGET);

      // 201 rows in the first copy; the catch-up copies the account and the two new entries, not the bucket again.
      assertThat(report.rowsCopied()).isEqualTo(201 + 3);
      assertThat(count(db.shard(TARGET), "entries WHERE account_id = " + account)).isEqualTo(201);
      assertThat(count(db.shard(TARGET), "accounts WHERE balance = 42 AND id = " + account)).isOne();
      assertThat(count(db.shard(TARGET), "entries WHERE id IN (" + written.get(0) + ", " + written.get(1) + ")"))
          .isEqualTo(2);
      assertThat(count(db.shard(TARGET), "trellis_bucket_change")).isZero();
      assertThat(count(source, "trellis_bucket_change")).isZero();
    }
  }

  /** Source rows kept 300 ms: three polls of the writers' database. */
  private static BucketMover.Builder mover(ShardedDatabase db) {
    return BucketMover.builder(db).deleteAfter(Duration.ofMillis(300));
  }

  private static ShardedDatabase database(String name) {
    ShardTopology topology = shards.newDatabase(name);
    ShardMigrator.migrate(topology, Items.MIGRATIONS);
    ShardedDatabase db = ShardedDatabase.builder(topology).kind("test").pool(FAST_POLL).build();
    for (Shard shard : db.shards()) {
      shard.read(dsl -> dsl.execute(TABLES));
    }
    return db;
  }

  private static long account(ShardedDatabase db, int bucket) {
    Shard shard = db.shardOfBucket(bucket);
    long id = shard.nextId(bucket);
    shard.read(dsl -> dsl.execute("INSERT INTO accounts (id) VALUES (?)", id));
    return id;
  }

  private static String handleIn(int bucket) {
    for (int i = 0; ; i++) {
      if (ShardRouter.bucketOfKey("handle-" + i) == bucket) {
        return "handle-" + i;
      }
    }
  }

  private static void assertOwnedOnlyBy(ShardedDatabase db, int bucket, int shard) {
    assertThat(ownersOf(db, bucket)).containsExactly(shard);
  }

  private static List<Integer> ownersOf(ShardedDatabase db, int bucket) {
    List<Integer> owners = new ArrayList<>();
    for (Shard shard : db.shards()) {
      if (count(shard, "trellis_bucket_owner WHERE bucket = " + bucket) == 1) {
        owners.add(shard.index());
      }
    }
    return owners;
  }

  private static long count(Shard shard, String from) {
    return shard.read(dsl -> ((Number) dsl.fetchValue("SELECT count(*) FROM " + from)).longValue());
  }

  /** Clients writing through the database's routing, retrying what the fence refuses, as gRPC clients would. */
  private static final class Writers {
    private final ShardedDatabase db;
    private final List<Long> accounts;
    final Map<Long, Set<Long>> entries = new ConcurrentHashMap<>();
    final AtomicInteger refused = new AtomicInteger();
    final Map<Long, AtomicInteger> refusedOf = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong turn = new AtomicLong();
    private final ExecutorService executor = Executors.newFixedThreadPool(3);
    private final List<Future<?>> running = new ArrayList<>();

    Writers(ShardedDatabase db, List<Long> accounts) {
      this.db = db;
      this.accounts = accounts;
      accounts.forEach(a -> entries.put(a, ConcurrentHashMap.newKeySet()));
      accounts.forEach(a -> refusedOf.put(a, new AtomicInteger()));
    }

    void start(int threads) {
      for (int i = 0; i < threads; i++) {
        running.add(executor.submit(() -> {
          while (!stop.get()) {
            write(accounts.get((int) (turn.getAndIncrement() % accounts.size())));
          }
          return null;
        }));
      }
    }

    long acked(long account) {
      return entries.get(account).size();
    }

    private void write(long account) {
      int bucket = ShardId.bucketOf(account);
      while (true) {
        try {
          long entry = db.shardOfId(account).transaction(dsl -> {
            long id = Shard.nextId(dsl, bucket);
            dsl.execute("INSERT INTO entries VALUES (?, ?)", id, account);
            dsl.execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", account);
            dsl.execute("INSERT INTO feed (account_id) VALUES (?)", account);
            return id;
          });
          entries.get(account).add(entry);
          return;
        } catch (UnavailableException e) {
          // Moved (or the lock wait ran out): retry soon, as a client would after its RetryInfo.
          refused.incrementAndGet();
          refusedOf.get(account).incrementAndGet();
          try {
            Thread.sleep(10);
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }

    void stop() throws Exception {
      stop.set(true);
      for (Future<?> f : running) {
        f.get();
      }
      executor.shutdown();
    }
  }
}
