package dev.trellis.bench.targets;

import dev.trellis.platform.config.ConfigException;

/**
 * A baseline a run can measure next to its load, rounds alternating, to print the ratio. One entry of
 * {@code baselines} in bench.json, of one of four kinds:
 *
 * <ul>
 *   <li>{@code target}: the same calls with the same engine against another local target (bare grpc-java for the
 *       chain's overhead)
 *   <li>{@code call}: another call, {@code call}, with the same engine and load against a local target: the gRPC
 *       method a REST route through the edge transcodes to, straight to the service
 *   <li>{@code pgbench}: PostgreSQL's own load tool running {@code sql} on the shard of the pool's values
 *   <li>{@code jdbc}: raw JDBC in the bench's JVM running {@code sql} there
 * </ul>
 *
 * @param description one line for {@code ./trellis bench targets}
 * @param kind target, call, pgbench or jdbc
 * @param target the local target of a {@code target} or {@code call} baseline
 * @param call what a {@code call} baseline calls, as {@code --call} takes it (a gRPC method and its JSON template)
 * @param sql the statement of a database baseline, with {@code :<variable>} where the value goes
 * @param variable the variable in {@code sql}
 * @param pool the pool whose values the statement reads (the load's pool, so both sides read the same rows)
 */
public record BaselineProfile(String description, String kind, String target, String call, String sql,
    String variable, String pool) {
  public BaselineProfile {
    description = description == null ? "" : description;
    if (kind == null || !(kind.equals("target") || kind.equals("call") || kind.equals("pgbench")
        || kind.equals("jdbc"))) {
      throw new ConfigException("a baseline's kind is target, call, pgbench or jdbc, got '" + kind + "'");
    }
    boolean onTarget = kind.equals("target") || kind.equals("call");
    if (onTarget && (target == null || target.isBlank())) {
      throw new ConfigException("a " + kind + " baseline names its target");
    }
    if (kind.equals("call") && (call == null || call.isBlank())) {
      throw new ConfigException("a call baseline says what it calls (call)");
    }
    if (!onTarget && (sql == null || variable == null || pool == null)) {
      throw new ConfigException("a " + kind + " baseline needs sql, variable and pool");
    }
  }

  /** Whether it loads a local target ({@code target} and {@code call}), rather than a shard. */
  public boolean runsOnTarget() {
    return kind.equals("target") || kind.equals("call");
  }

  /** The statement with {@code ?} for the variable, for JDBC. */
  public String jdbcSql() {
    return sql.replace(":" + variable, "?");
  }
}
