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

/**
 * The write pause of a bucket move (BucketMover), with the cut-over copying only the rows written during the copy
 * (the change log) versus copying the whole bucket again (before it), alternating, in one run. Each bucket of
 * order-service's database holds {@code --users} users' orders, each with its saga and idempotency key; two client
 * threads keep updating orders of the bucket being moved, so the catch-up has changes to copy. Run from the
 * repository root:
 * <pre>
 * ./trellis mvn -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.BucketMoveBenchmark [--moves=20] [--users=500] > /dev/null
 * </pre>
 * or {@code ./trellis bench bucket-move [flags]}.
 */
public final class BucketMoveBenchmark {
  private BucketMoveBenchmark() {}

  public static void main(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    int moves = flags.integer("TRELLIS_MOVES", 20, 2, 500); // per side
    int users = flags.integer("TRELLIS_USERS", 500, 1, 100_000);
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
      System.err.printf("%d buckets of %d orders + sagas + keys seeded in %d ms%n", buckets.size(), users,
          (System.nanoTime() - seedStart) / 1_000_000);

      List<Long> changedOnly = new ArrayList<>();
      List<Long> whole = new ArrayList<>();
      long[] rows = new long[2];
      AtomicLong updates = new AtomicLong();
      for (int i = 0; i < buckets.size(); i++) {
        int bucket = buckets.get(i);
        boolean wholeBucket = i % 2 == 1; // alternate, so that drift in the machine's load hits both alike
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
          report = BucketMover.builder(db).deleteAfter(Duration.ofMillis(100)).wholeBucketCatchUp(wholeBucket)
              .build().move(bucket, 1);
          stop.set(true);
        }
        if (failed.get() != null) {
          throw new IllegalStateException("a writer failed", failed.get());
        }
        (wholeBucket ? whole : changedOnly).add(report.writePause().toNanos() / 1000);
        rows[wholeBucket ? 1 : 0] += report.rowsCopied();
      }
      System.err.printf("%d moves per side, %d updates of the moving buckets meanwhile%n", moves, updates.get());
      System.err.println(line("catch-up of changed rows", changedOnly, rows[0]));
      System.err.println(line("catch-up of whole bucket", whole, rows[1]));
      System.err.printf("write pause ratio changed/whole: p50 %.2f, max %.2f%n",
          (double) percentile(changedOnly, 50) / percentile(whole, 50),
          (double) percentile(changedOnly, 100) / percentile(whole, 100));
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
