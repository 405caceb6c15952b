package dev.trellis.bench.targets;

import dev.trellis.platform.config.ConfigException;
import java.util.List;
import java.util.Map;

/**
 * How the bench starts one kind of target on this machine, in a JVM of its own (so the load generator and the
 * server do not share a JIT or a GC): a main class on the bench's classpath, its environment, and what it needs
 * around it. One entry of {@code targets} in bench.json; a new service or the edge is a new entry, not new code.
 *
 * @param description one line for {@code ./trellis bench targets}
 * @param main the main class
 * @param args its arguments
 * @param jvm extra JVM flags
 * @param protocol {@code grpc} or {@code http}: how the bench waits for it and calls it
 * @param portVariable the variable that sets its port (the bench picks a free one)
 * @param health the service whose grpc.health.v1 status must be SERVING before the load starts (gRPC), or the path
 *     that must answer 200 (HTTP); empty: the port accepting connections is enough
 * @param database the database it owns on every shard, when it needs shards (embedded PostgreSQL, started by the
 *     bench)
 * @param shards how many shards (default 4)
 * @param env its environment; {@code ${run.dir}}, {@code ${otlp.endpoint}} and {@code ${<target>.port}} are
 *     replaced
 * @param rateLimitVariables the rate limits it reads, raised for the run (and said so in the report)
 * @param token the dev token the bench calls it with (signed with the run's dev key), when it checks tokens
 * @param seed rows inserted on every shard after it has migrated them, before the load
 * @param pools value pools filled from its shards after seeding: pool name to a query run on every shard
 * @param needs other targets that must run first (the edge needs user-service)
 */
public record TargetProfile(String description, String main, List<String> args, List<String> jvm, String protocol,
    String portVariable, String health, String database, Integer shards, Map<String, String> env,
    List<String> rateLimitVariables, Token token, Seed seed, Map<String, String> pools, List<String> needs) {

  /** The subject and roles of the dev token the bench mints for a target. */
  public record Token(String subject, List<String> roles) {}

  /**
   * Rows made on every shard straight in SQL (fast; the service's write path is not what a read benchmark
   * measures). In {@code sql}, {@code :buckets} is the shard's bucket list (int[]), {@code :rows} the rows for that
   * shard, {@code :shard} its index.
   *
   * @param rows total rows by default, spread evenly ({@code --seed} changes it)
   */
  public record Seed(String sql, Integer rows) {}

  public TargetProfile {
    if (main == null || main.isBlank()) {
      throw new ConfigException("a target needs a main class");
    }
    description = description == null ? "" : description;
    args = args == null ? List.of() : List.copyOf(args);
    jvm = jvm == null ? List.of() : List.copyOf(jvm);
    protocol = protocol == null ? "grpc" : protocol;
    if (!protocol.equals("grpc") && !protocol.equals("http")) {
      throw new ConfigException("a target's protocol is grpc or http, got '" + protocol + "'");
    }
    portVariable = portVariable == null ? "TRELLIS_GRPC_PORT" : portVariable;
    health = health == null ? "" : health;
    database = database == null ? "" : database;
    shards = shards == null ? 4 : shards;
    env = env == null ? Map.of() : Map.copyOf(env);
    rateLimitVariables = rateLimitVariables == null ? List.of() : List.copyOf(rateLimitVariables);
    pools = pools == null ? Map.of() : Map.copyOf(pools);
    needs = needs == null ? List.of() : List.copyOf(needs);
  }

  public boolean hasShards() {
    return !database.isEmpty();
  }
}
