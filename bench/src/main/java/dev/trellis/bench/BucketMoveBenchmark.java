package dev.trellis.bench;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.order.store.OrderShards;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.error.UnavailableException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The write pause of a bucket move (BucketMover), with the cut-over copying only the rows written during the copy
 * (the change log) versus copying the whole bucket again (before it), alternating, in one run. Each bucket of
 * order-service's database holds {@code --users} users' orders, each with its saga and idempotency key; two client
 * threads keep updating orders of the bucket being moved, so the catch-up has changes to copy. Run from the
 * repository root:
 * <pre>
 * ./trellis mvn -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.BucketMoveBenchmark [--moves=20] [--users=500] [--compare=catch-up|index] [--others=0] \
 *     > /dev/null
 * </pre>
 * or {@code ./trellis bench bucket-move [flags]}.
 */
public final class BucketMoveBenchmark {
  private BucketMoveBenchmark() {}

  public static void main(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    int moves = flags.integer("TRELLIS_MOVES", 20, 2, 500); // per side
    int users = flags.integer("TRELLIS_USERS", 500, 1, 100_000);
    // --compare=index: both sides catch up the change log; one side moves with the bucket indexes (user-service V4,
    // order-service V7) dropped, as before them. --others: users' orders in buckets that do not move (table size).
    boolean compareIndex = flags.string("TRELLIS_COMPARE", "catch-up").equals("index");
    int others = flags.integer("TRELLIS_OTHERS", 0, 0, 10_000_000);
    flags.rejectUnknownFlags();

    try (EmbeddedShards shards = EmbeddedShards.builder(Files.createTempDirectory("trellis-move-bench-"))
            .shards(2).durable(false).deleteOnClose(true).start();
        ShardedDatabase db = openOrders(shards.topology(OrderShards.DATABASE))) {
      // Buckets 0..511 start on shard 0 (even ranges); every move goes to shard 1.
      List<Integer> buckets = new ArrayList<>();
      for (int i = 0; i < 2 * moves; i++) {
        buckets.add(i * 5);
      }
      long seedStart = System.nanoTime();
      for (int bucket : buckets) {
        seed(db, bucket, users);
      }
      for (int left = others, bucket = 1; left > 0; left -= 5_000, bucket = bucket % 200 + 5) {
        seed(db, bucket, Math.min(left, 5_000)); // buckets 1, 6, 11...: on shard 0, never moved
      }
      System.err.printf("%d buckets of %d orders + sagas + keys, and %d more in other buckets, seeded in %d ms%n",
          buckets.size(), users, others, (System.nanoTime() - seedStart) / 1_000_000);
      for (DSLContext shard : List.of(dsl(db, 0), dsl(db, 1))) {
        shard.execute("ANALYZE");
      }
      List<Long> movesWith = new ArrayList<>();
      List<Long> movesWithout = new ArrayList<>();

      List<Long> changedOnly = new ArrayList<>();
      List<Long> whole = new ArrayList<>();
      long[] rows = new long[2];
      AtomicLong updates = new AtomicLong();
      for (int i = 0; i < buckets.size(); i++) {
        int bucket = buckets.get(i);
        boolean secondSide = i % 2 == 1; // alternate, so that drift in the machine's load hits both alike
        boolean wholeBucket = secondSide && !compareIndex;
        if (compareIndex && secondSide) {
          bucketIndexes(db, false);
        }
        List<Long> orders = db.shardOfBucket(bucket).read(dsl -> dsl.fetch(
            "SELECT id FROM orders WHERE trellis_bucket_of_id(id) = ?", bucket).getValues(0, Long.class));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        BucketMover.Report report;
        try (ExecutorService writers = Executors.newFixedThreadPool(2)) {
          for (int w = 0; w < 2; w++) {
            writers.submit(() -> {
              while (!stop.get()) {
                long id = orders.get(ThreadLocalRandom.current().nextInt(orders.size()));
                try {
                  db.shardOfId(id).read(dsl -> dsl.execute(
                      "UPDATE orders SET version = version + 1, updated_at = now() WHERE id = ?", id));
                  updates.incrementAndGet();
                } catch (UnavailableException refused) {
                  Thread.onSpinWait(); // moved: the retry goes to the new owner
                } catch (RuntimeException e) {
                  failed.compareAndSet(null, e);
                  return;
                }
              }
            });
          }
          long moveStart = System.nanoTime();
          try {
            report = BucketMover.builder(db).deleteAfter(Duration.ofMillis(100)).wholeBucketCatchUp(wholeBucket)
                .build().move(bucket, 1);
          } finally {
            stop.set(true); // a failed move must not leave the writers running (closing the pool waits for them)
          }
          (secondSide ? movesWithout : movesWith).add((System.nanoTime() - moveStart) / 1000);
        }
        if (compareIndex && secondSide) {
          bucketIndexes(db, true);
        }
        if (failed.get() != null) {
          throw new IllegalStateException("a writer failed", failed.get());
        }
        (secondSide ? whole : changedOnly).add(report.writePause().toNanos() / 1000);
        rows[secondSide ? 1 : 0] += report.rowsCopied();
      }
      System.err.printf("%d moves per side, %d updates of the moving buckets meanwhile%n", moves, updates.get());
      String[] sides = compareIndex ? new String[] {"with bucket indexes", "without (table scans)"}
          : new String[] {"catch-up of changed rows", "catch-up of whole bucket"};
      System.err.println(line(sides[0], changedOnly, rows[0]) + moveLine(movesWith));
      System.err.println(line(sides[1], whole, rows[1]) + moveLine(movesWithout));
      System.err.printf("write pause ratio %s: p50 %.2f, max %.2f; whole move p50 %.2f%n",
          compareIndex ? "with/without index" : "changed/whole",
          (double) percentile(changedOnly, 50) / percentile(whole, 50),
          (double) percentile(changedOnly, 100) / percentile(whole, 100),
          (double) percentile(movesWith, 50) / percentile(movesWithout, 50));
    }
  }

  /** {@code users} users of the bucket, each with one confirmed order, its completed saga and its key. */
  private static void seed(ShardedDatabase db, int bucket, int users) {
    db.shardOfBucket(bucket).transaction(dsl -> dsl.execute("""
        WITH u AS (SELECT trellis_next_id(?) AS user_id, trellis_next_id(?) AS order_id, g
                   FROM generate_series(1, ?) g),
        o AS (INSERT INTO orders (id, user_id, status, skus, quantities, unit_prices, total_cents, currency,
                ship_recipient, ship_line1, ship_line2, ship_city, ship_postal_code, ship_country, created_at,
                updated_at)
              SELECT order_id, user_id, 'CONFIRMED', ARRAY['sku-' || g], ARRAY[1], ARRAY[250::bigint], 250, 'USD',
                'Ada Lovelace', '1 Analytical Way', '', 'Berlin', '10115', 'DE', now(), now() FROM u
              RETURNING id, user_id),
        s AS (INSERT INTO order_sagas (order_id, status, current_step, completed_steps, context, created_at,
                updated_at)
              SELECT id, 'COMPLETED', '', ARRAY['verify_user', 'reserve_inventory', 'process_payment',
                'create_shipment', 'send_notification'], '{}'::jsonb, now(), now() FROM o)
        INSERT INTO idempotency_keys (user_id, idempotency_key, request_hash, order_id, created_at)
        SELECT user_id, 'key-' || id, sha256(id::text::bytea), id, now() FROM o
        """, bucket, bucket, users));
  }

  /** Drops or (re)creates order-service's V7 indexes (bucket, and the order key's) on both shards, between moves. */
  private static void bucketIndexes(ShardedDatabase db, boolean present) {
    Map<String, String> indexes = Map.of("orders_bucket_idx", "orders (trellis_bucket_of_id(id))",
        "order_sagas_bucket_idx", "order_sagas (trellis_bucket_of_id(order_id))",
        "idempotency_keys_bucket_idx", "idempotency_keys (trellis_bucket_of_id(user_id))",
        "idempotency_keys_order_idx", "idempotency_keys (order_id)");
    for (int shard = 0; shard < 2; shard++) {
      DSLContext dsl = dsl(db, shard);
      indexes.forEach((name, on) -> dsl.execute(present ? "CREATE INDEX IF NOT EXISTS " + name + " ON " + on
          : "DROP INDEX IF EXISTS " + name));
    }
  }

  private static DSLContext dsl(ShardedDatabase db, int shard) {
    return DSL.using(db.shards().get(shard).dataSource(), SQLDialect.POSTGRES);
  }

  private static String moveLine(List<Long> micros) {
    return String.format("; whole move (grace 100 ms included) p50 %.1f ms, max %.1f ms",
        percentile(micros, 50) / 1000.0, percentile(micros, 100) / 1000.0);
  }

  private static String line(String name, List<Long> pausesMicros, long rows) {
    return String.format("%-26s write pause p50 %6.1f ms, p99 %6.1f ms, max %6.1f ms; %d rows copied", name,
        percentile(pausesMicros, 50) / 1000.0, percentile(pausesMicros, 99) / 1000.0,
        percentile(pausesMicros, 100) / 1000.0, rows);
  }

  private static long percentile(List<Long> values, int percentile) {
    List<Long> sorted = values.stream().sorted().toList();
    int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  /** Migrates and opens the orders' database outside a service, polling the directory often (moves publish it). */
  private static ShardedDatabase openOrders(ShardTopology topology) {
    ShardMigrator.migrate(topology, OrderShards.MIGRATIONS);
    return ShardedDatabase.builder(topology).kind(OrderShards.KIND)
        .pool(ShardPoolSettings.defaults().withDirectoryPoll(Duration.ofMillis(100))).build();
  }
}
