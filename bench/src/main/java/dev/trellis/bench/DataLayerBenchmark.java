package dev.trellis.bench;

import static dev.trellis.user.store.jooq.Tables.USERS;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.MergedCursor;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.user.store.StoredUser;
import dev.trellis.user.store.UserShards;
import dev.trellis.user.store.UserStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * The data layer's overhead, in one run, the sides taking turns round after round so machine noise hits them alike:
 * <ol>
 *   <li>Point reads: {@link UserStore#get} (jOOQ on HikariCP, failure translation, record mapping) against raw JDBC
 *       running the same SQL text on the same pool and mapping the same record. Goal: ratio >= 0.70.
 *   <li>One page (100 rows) of a scatter-gather over 4 shards against the same query on 1 shard (and 2 shards, to
 *       show how latency grows with shards on a machine with fewer cores than shards). Goal: <= 1.3x.
 * </ol>
 * Closed loop ({@link ClosedLoopLoad#blocking}): each client thread makes its next call when the previous one
 * returns. Users are made through {@link UserStore#create} on 4 embedded PostgreSQL shards. Run from the repository
 * root:
 * <pre>
 * ./trellis mvn -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.DataLayerBenchmark [--threads=4] [--rounds=6] [--seconds=3] [--users=2000] > /dev/null
 * </pre>
 * or {@code ./trellis bench data-layer [flags]}; {@code --json=FILE} also writes the figures as JSON.
 */
public final class DataLayerBenchmark {
  private static final int PAGE = 100;

  private DataLayerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    int threads = flags.integer("TRELLIS_THREADS", 4, 1, 1_000);
    int rounds = flags.integer("TRELLIS_ROUNDS", 6, 1, 100);
    Duration round = Duration.ofSeconds(flags.integer("TRELLIS_SECONDS", 3, 1, 3_600));
    int users = flags.integer("TRELLIS_USERS", 2_000, 1_000, 1_000_000); // a full page on every shard
    Optional<Path> json = flags.optional("TRELLIS_JSON").map(Path::of);
    flags.rejectUnknownFlags();

    // Fast and unsafe on a crash, like the test shards: the point is reading.
    try (EmbeddedShards shards = EmbeddedShards.builder(Files.createTempDirectory("trellis-data-bench-"))
            .shards(4).durable(false).deleteOnClose(true).start();
        ShardedDatabase db = UserShards.open(shards.topology(UserShards.DATABASE), ShardPoolSettings.defaults())) {
      UserStore store = UserStore.builder(db, new PageTokenCodec(
          "bench-page-token-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
          Duration.ofHours(1))).build();
      long[] ids = new long[users];
      for (int i = 0; i < users; i++) {
        ids[i] = store.create("bench" + i + "@example.com", "Bench User " + i, List.of("user")).id();
      }
      String sql = DSL.using(SQLDialect.POSTGRES).selectFrom(USERS).where(USERS.ID.eq(0L)).getSQL();
      System.err.printf("%d users on %d shards, %d client threads, %d rounds of %s per side%n", users,
          db.shards().size(), threads, rounds, round);
      System.err.println("raw JDBC statement: " + sql);

      List<ClosedLoopLoad> pointReads = List.of(
          ClosedLoopLoad.blocking(threads, () -> store.get(ClosedLoopLoad.anyOf(ids))),
          ClosedLoopLoad.blocking(threads, () -> rawGet(db, sql, ClosedLoopLoad.anyOf(ids))));
      ClosedLoopLoad.alternate(pointReads, 1, round); // warm-up
      List<List<ClosedLoopLoad.Round>> reads = ClosedLoopLoad.alternate(pointReads, rounds, round);

      List<ClosedLoopLoad> pages = List.of(
          ClosedLoopLoad.blocking(1, () -> page(db, db.shards())),
          ClosedLoopLoad.blocking(1, () -> page(db, List.of(db.shard(0)))),
          ClosedLoopLoad.blocking(1, () -> page(db, db.shards().subList(0, 2))));
      ClosedLoopLoad.alternate(pages, 1, round); // warm-up
      List<List<ClosedLoopLoad.Round>> scatter = ClosedLoopLoad.alternate(pages, rounds, round);

      ClosedLoopLoad.Summary jooq = ClosedLoopLoad.Summary.of(reads.get(0));
      ClosedLoopLoad.Summary raw = ClosedLoopLoad.Summary.of(reads.get(1));
      ClosedLoopLoad.Summary four = ClosedLoopLoad.Summary.of(scatter.get(0));
      ClosedLoopLoad.Summary one = ClosedLoopLoad.Summary.of(scatter.get(1));
      ClosedLoopLoad.Summary two = ClosedLoopLoad.Summary.of(scatter.get(2));
      System.err.println();
      System.err.println(jooq.line("jOOQ+Hikari get"));
      System.err.println(raw.line("raw JDBC same SQL"));
      System.err.printf("point read throughput ratio jOOQ/raw = %.2f (goal >= 0.70)%n", jooq.qps() / raw.qps());
      System.err.println(four.line("scatter 4 shards"));
      System.err.println(two.line("scatter 2 shards"));
      System.err.println(one.line("scatter 1 shard"));
      System.err.printf("scatter-gather latency ratio 4 shards/1 shard: p50 %.2f, mean %.2f (goal <= 1.3)%n",
          (double) four.p50() / one.p50(), four.latencyMicros().getMean() / one.latencyMicros().getMean());
      System.err.printf("scatter-gather latency ratio 2 shards/1 shard: p50 %.2f, mean %.2f%n",
          (double) two.p50() / one.p50(), two.latencyMicros().getMean() / one.latencyMicros().getMean());
      if (json.isPresent()) {
        // For ./trellis bench suite: the same figures, machine-readable.
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("command", "DataLayerBenchmark " + String.join(" ", args));
        figures.put("pointReadRatio", jooq.qps() / raw.qps());
        figures.put("jooqQps", jooq.qps());
        figures.put("rawQps", raw.qps());
        figures.put("page4over1P50", (double) four.p50() / one.p50());
        figures.put("page2over1P50", (double) two.p50() / one.p50());
        figures.put("page4P50Micros", four.p50());
        figures.put("page1P50Micros", one.p50());
        new ObjectMapper().writeValue(json.get().toFile(), figures);
      }
    }
  }

  /** One page of users in id order from {@code shards}, read to the end. */
  private static void page(ShardedDatabase db, List<Shard> shards) {
    int n = 0;
    try (MergedCursor<Long> cursor = db.scatterGather().stream(shards,
        (dsl, after) -> dsl.selectFrom(USERS).where(after.map(USERS.ID::gt).orElse(DSL.noCondition()))
            .orderBy(USERS.ID),
        r -> r.getId(), Comparator.naturalOrder(), PAGE)) {
      while (cursor.hasNext()) {
        cursor.next();
        n++;
      }
    }
    if (n != PAGE) {
      throw new IllegalStateException("expected a page of " + PAGE + ", got " + n);
    }
  }

  /** The raw-JDBC side of a point read: same SQL, same pool, same mapping to the same record. */
  private static StoredUser rawGet(ShardedDatabase db, String sql, long id) throws Exception {
    try (Connection c = db.shardOfId(id).dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, id);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("missing user " + id);
        }
        return new StoredUser(rs.getLong("id"), rs.getString("email"), rs.getString("name"),
            List.of((String[]) rs.getArray("roles").getArray()),
            rs.getObject("created_at", OffsetDateTime.class).toInstant(),
            rs.getObject("updated_at", OffsetDateTime.class).toInstant());
      }
    }
  }
}
