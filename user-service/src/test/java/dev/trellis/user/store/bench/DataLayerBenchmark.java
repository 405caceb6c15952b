package dev.trellis.user.store.bench;

import static dev.trellis.user.store.jooq.Tables.USERS;

import dev.trellis.platform.data.MergedCursor;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.TestShards;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.user.store.StoredUser;
import dev.trellis.user.store.UserShards;
import dev.trellis.user.store.UserStore;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;
import org.jooq.impl.DSL;

/**
 * Measures the data layer's overhead in one run, alternating A and B rounds so machine noise hits both alike:
 * <ol>
 *   <li>GetUser-style point reads: {@link UserStore#get} (jOOQ on HikariCP, failure translation, record mapping)
 *       against raw JDBC running the same SQL text on the same pool and mapping the same record. Goal: >= 0.70.
 *   <li>One page (100 rows) of a scatter-gather over 4 shards against the same query on 1 shard (and 2 shards, to
 *       show how latency grows with shards on a machine with fewer cores than shards). Goal: <= 1.3x.
 * </ol>
 * Closed loop: each client thread sends its next call when the previous one returns. Run with
 * {@code ./trellis mvn -pl user-service -am -Pbench -DskipTests verify} (flags: -Dbench.args="--threads=4 ...").
 */
public final class DataLayerBenchmark {
  private DataLayerBenchmark() {}

  public static void main(String[] args) throws Exception {
    int threads = intArg(args, "threads", 4);
    int rounds = intArg(args, "rounds", 6);
    Duration round = Duration.ofSeconds(intArg(args, "seconds", 3));
    int users = intArg(args, "users", 2000);

    ShardTopology topology = TestShards.newDatabase("bench");
    ShardMigrator.migrate(topology, UserShards.MIGRATIONS);
    try (ShardedDatabase db = ShardedDatabase.builder(topology).kind("user")
        .pool(ShardPoolSettings.defaults()).build()) {
      UserStore store = UserStore.builder(db, new PageTokenCodec(
          "bench-page-token-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
          Duration.ofHours(1))).build();
      long[] ids = new long[users];
      for (int i = 0; i < users; i++) {
        ids[i] = store.create("bench" + i + "@example.com", "Bench User " + i, List.of("user")).id();
      }
      String sql = DSL.using(org.jooq.SQLDialect.POSTGRES).selectFrom(USERS).where(USERS.ID.eq(0L)).getSQL();
      System.out.printf("%d users on %d shards, %d client threads, %d rounds of %s per side%n", users,
          db.shards().size(), threads, rounds, round);
      System.out.println("raw JDBC statement: " + sql);

      Result jooq = new Result("jOOQ+Hikari get");
      Result raw = new Result("raw JDBC same SQL");
      Side jooqSide = id -> store.get(id);
      Side rawSide = id -> rawGet(db.shardOfId(id), sql, id);
      run("warm-up", jooqSide, ids, threads, round, new Result("warm"));
      run("warm-up", rawSide, ids, threads, round, new Result("warm"));
      for (int r = 0; r < rounds; r++) {
        run("A", jooqSide, ids, threads, round, jooq);
        run("B", rawSide, ids, threads, round, raw);
      }

      Result four = new Result("scatter 4 shards");
      Result two = new Result("scatter 2 shards");
      Result one = new Result("scatter 1 shard");
      Side fourSide = ignored -> page(db, db.shards());
      Side twoSide = ignored -> page(db, db.shards().subList(0, 2));
      Side oneSide = ignored -> page(db, List.of(db.shard(0)));
      run("warm-up", fourSide, ids, 1, round, new Result("warm"));
      run("warm-up", twoSide, ids, 1, round, new Result("warm"));
      run("warm-up", oneSide, ids, 1, round, new Result("warm"));
      for (int r = 0; r < rounds; r++) {
        run("A", fourSide, ids, 1, round, four);
        run("B", oneSide, ids, 1, round, one);
        run("C", twoSide, ids, 1, round, two);
      }

      System.out.println();
      jooq.print();
      raw.print();
      System.out.printf("point read throughput ratio jOOQ/raw = %.2f (goal >= 0.70)%n",
          jooq.throughput() / raw.throughput());
      four.print();
      two.print();
      one.print();
      System.out.printf("scatter-gather latency ratio 4 shards/1 shard: p50 %.2f, mean %.2f (goal <= 1.3)%n",
          (double) four.histogram.getValueAtPercentile(50) / one.histogram.getValueAtPercentile(50),
          four.histogram.getMean() / one.histogram.getMean());
      System.out.printf("scatter-gather latency ratio 2 shards/1 shard: p50 %.2f, mean %.2f%n",
          (double) two.histogram.getValueAtPercentile(50) / one.histogram.getValueAtPercentile(50),
          two.histogram.getMean() / one.histogram.getMean());
    }
    System.exit(0);
  }

  private static int page(ShardedDatabase db, List<Shard> shards) {
    int n = 0;
    try (MergedCursor<Long> cursor = db.scatterGather().stream(shards,
        dsl -> dsl.selectFrom(USERS).orderBy(USERS.ID), r -> r.getId(), Comparator.naturalOrder(), 100)) {
      while (cursor.hasNext()) {
        cursor.next();
        n++;
      }
    }
    if (n != 100) {
      throw new IllegalStateException("expected a page of 100, got " + n);
    }
    return n;
  }

  /** The raw-JDBC side of a point read: same SQL, same pool, same mapping to the same record. */
  private static StoredUser rawGet(Shard shard, String sql, long id) {
    try (Connection c = shard.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, id);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("missing user " + id);
        }
        Array roles = rs.getArray("roles");
        return new StoredUser(rs.getLong("id"), rs.getString("email"), rs.getString("name"),
            List.of((String[]) roles.getArray()), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
            rs.getObject("updated_at", OffsetDateTime.class).toInstant());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void run(String label, Side side, long[] ids, int threads, Duration length, Result into)
      throws Exception {
    long end = System.nanoTime() + length.toNanos();
    List<Future<Histogram>> futures = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          Histogram h = new Histogram(3_600_000_000L, 3);
          ThreadLocalRandom random = ThreadLocalRandom.current();
          while (System.nanoTime() < end) {
            long id = ids[random.nextInt(ids.length)];
            long start = System.nanoTime();
            side.call(id);
            h.recordValue((System.nanoTime() - start) / 1000);
          }
          return h;
        }));
      }
    }
    for (Future<Histogram> f : futures) {
      into.histogram.add(f.get());
    }
    into.seconds += length.toNanos() / 1e9;
  }

  private static int intArg(String[] args, String name, int dflt) {
    for (String a : args) {
      if (a.startsWith("--" + name + "=")) {
        return Integer.parseInt(a.substring(name.length() + 3));
      }
    }
    return dflt;
  }

  /** One side of a comparison: one call for one user id. */
  @FunctionalInterface
  private interface Side {
    void call(long id);
  }

  /** The latencies (microseconds) and time of one side, over all its rounds. */
  private static final class Result {
    final String name;
    final Histogram histogram = new Histogram(3_600_000_000L, 3);
    double seconds;

    Result(String name) {
      this.name = name;
    }

    double throughput() {
      return histogram.getTotalCount() / seconds;
    }

    void print() {
      System.out.printf("%-20s %9.0f ops/s  p50 %6d us  p99 %6d us  (%d calls)%n", name, throughput(),
          histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99), histogram.getTotalCount());
    }
  }
}
