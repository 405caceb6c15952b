package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.trellis.bench.measure.Progress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Raw JDBC in the bench's JVM: the same statement as the service's read, on a HikariCP pool of the service's size,
 * each row read column by column ({@code getObject}) as a mapper would. The baseline of "what the data layer costs":
 * no gRPC, no chain, no jOOQ. Each call is a blocking read on a virtual thread.
 */
public final class JdbcLoad implements Load {
  private final LoadInfo info;
  private final HikariDataSource pool;
  private final String sql;
  private final WeightedPick<Object> values;
  private final LoadModel model;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  private JdbcLoad(LoadInfo info, HikariDataSource pool, String sql, List<Object> values, LoadModel model) {
    this.info = info;
    this.pool = pool;
    this.sql = sql;
    this.values = WeightedPick.uniform(values);
    this.model = model;
  }

  /**
   * @param sql the statement with one {@code ?}, bound to a value of {@code values} as a long when it is one
   * @param poolSize connections (the service's pool size per shard, to compare like with like)
   */
  public static JdbcLoad of(String name, String jdbcUrl, String user, String password, String sql,
      List<String> values, int poolSize, LoadModel model) {
    requireNonNull(sql, "sql");
    if (values.isEmpty()) {
      throw new IllegalArgumentException("raw JDBC needs at least one value to bind");
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(poolSize);
    config.setPoolName("bench-jdbc");
    LoadInfo info = new LoadInfo(name, "jdbc", jdbcUrl, sql, model.describe().replaceAll(" over \\d+ connections",
        "") + ", on a pool of " + poolSize, "", List.of(
        "raw JDBC (pgjdbc on HikariCP) in the bench's JVM, every column read with getObject; "
            + values.size() + " value" + (values.size() == 1 ? "" : "s") + " bound at random"));
    // Bound as a long where the value is a number (ids), as the service binds them; parsed once, here.
    List<Object> bound = values.stream()
        .<Object>map(v -> v.matches("-?\\d{1,18}") ? (Object) Long.parseLong(v) : v).toList();
    return new JdbcLoad(info, new HikariDataSource(config), sql, bound, model);
  }

  @Override
  public LoadInfo info() {
    return info;
  }

  @Override
  public Round run(Duration settle, Duration duration, long count, Consumer<Progress> progress)
      throws InterruptedException {
    return CallLoop.run(this::call, model, settle, duration, count, progress);
  }

  /** The blocking read on a virtual thread of its own (as many as calls in flight, each holding a connection). */
  private void call(int slot, CallLoop.Completion done) {
    threads.execute(() -> {
      try {
        read(values.next());
        done.complete("OK", true, 1);
      } catch (Exception e) {
        done.complete(e.getClass().getSimpleName(), false, 0);
      }
    });
  }

  private void read(Object value) throws Exception {
    try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setObject(1, value);
      try (ResultSet rs = s.executeQuery()) {
        int columns = rs.getMetaData().getColumnCount();
        boolean any = false;
        while (rs.next()) {
          any = true;
          for (int i = 1; i <= columns; i++) {
            rs.getObject(i);
          }
        }
        if (!any) {
          throw new java.util.NoSuchElementException("no row for " + value);
        }
      }
    }
  }

  @Override
  public void close() {
    threads.shutdownNow();
    pool.close();
  }
}
