package dev.trellis.bench.run;

import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.trellis.bench.call.CallSpec;
import dev.trellis.bench.call.GrpcMethods;
import dev.trellis.bench.call.GrpcRequests;
import dev.trellis.bench.call.RequestTemplate;
import dev.trellis.bench.call.ValuePools;
import dev.trellis.bench.engine.GrpcCall;
import dev.trellis.bench.engine.GrpcProbe;
import dev.trellis.bench.engine.H2loadLoad;
import dev.trellis.bench.engine.JavaGrpcLoad;
import dev.trellis.bench.engine.JavaHttpLoad;
import dev.trellis.bench.engine.JdbcLoad;
import dev.trellis.bench.engine.Load;
import dev.trellis.bench.engine.PgbenchLoad;
import dev.trellis.bench.report.BenchReport;
import dev.trellis.bench.targets.BaselineProfile;
import dev.trellis.bench.targets.LocalTargets;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The sides of a run, from the options and the started targets: where the calls go and with which token, the pools
 * (the targets', then {@code --pool}), a database baseline's shard and rows (the load then reads the same rows), and
 * for each side its load with the engine asked for.
 */
final class SideBuilder {
  private final BenchOptions options;
  private final Path engineDir;
  private final List<String> notes;

  /** @param notes receives what the report must say about the choices made here */
  SideBuilder(BenchOptions options, Path engineDir, List<String> notes) {
    this.options = options;
    this.engineDir = engineDir;
    this.notes = notes;
  }

  /**
   * Where gRPC calls go: a local target or --target.
   *
   * @param jvms the JVMs serving the calls, when the bench started them (CPU, warm-up)
   */
  private record Endpoint(String host, int port, Optional<String> token, List<Long> jvms, boolean traced,
      Optional<ShardTopology> shards) {}

  private Endpoint mainEndpoint(LocalTargets targets) {
    if (options.local().isPresent()) {
      return endpointOf(targets.get(options.local().get()), targets);
    }
    Optional<String> token = options.token();
    if (token.isEmpty() && options.dev()) {
      token = Optional.of(DevTokens.create(AuthConfig.dev(options.stateDir().resolve("dev-jwt-key.json")),
          Clock.systemUTC()).mint("1", Set.of("admin"), Duration.ofHours(12)));
    }
    String address = options.target().orElse("127.0.0.1:50051");
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      throw new ConfigException("--target must be HOST:PORT, got '" + address + "'");
    }
    try {
      return new Endpoint(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)), token,
          List.of(), false, Optional.empty());
    } catch (NumberFormatException e) {
      throw new ConfigException("--target must be HOST:PORT, got '" + address + "'");
    }
  }

  private static Endpoint endpointOf(LocalTargets.Started target, LocalTargets targets) {
    boolean traced = target.env().containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
        && targets.otlpReceiver().isPresent() && "false".equals(target.env().get("OTEL_SDK_DISABLED"));
    return new Endpoint(target.host(), target.port(), target.token(), targets.jvmsServing(target.name()), traced,
        target.shards());
  }

  /** Adds the load, then each baseline, to {@code sides} (so that what was built is closed if a later one fails). */
  void build(LocalTargets targets, List<BaselineProfile> baselines, List<Side> sides) throws Exception {
    boolean grpc = options.calls().stream().allMatch(c -> c.protocol() == CallSpec.Protocol.GRPC);
    boolean http = options.calls().stream().allMatch(c -> c.protocol() == CallSpec.Protocol.HTTP);
    if (!grpc && !http) {
      throw new ConfigException("one run calls either gRPC methods or HTTP routes, not both");
    }
    Endpoint main = grpc ? mainEndpoint(targets) : null;
    GrpcMethods methods = GrpcMethods.packaged();
    ValuePools pools = ValuePools.of(targets == null ? Map.of() : targets.pools());
    if (grpc && options.reflection()) {
      ManagedChannel channel = PoolSources.channel(main.host(), main.port());
      try {
        methods = GrpcMethods.fromReflection(channel);
      } finally {
        channel.shutdownNow();
      }
    }
    Map<String, List<String>> given = new LinkedHashMap<>();
    if (!options.pools().isEmpty()) {
      Optional<ManagedChannel> channel = grpc ? Optional.of(PoolSources.channel(main.host(), main.port()))
          : Optional.empty();
      try {
        for (var pool : options.pools().entrySet()) {
          given.put(pool.getKey(), PoolSources.fill(pool.getKey(), pool.getValue(), channel, methods,
              main == null ? options.token() : main.token()));
        }
      } finally {
        channel.ifPresent(ManagedChannel::shutdownNow);
      }
    }
    pools = pools.with(given);
    // Database baselines read the same rows as the load: the pool is narrowed to rows on one shard.
    Map<String, ShardChoice> shardChoices = new HashMap<>();
    for (BaselineProfile baseline : baselines) {
      if (!baseline.runsOnTarget() && !shardChoices.containsKey(baseline.pool())) {
        ShardChoice choice = chooseShard(baseline, pools, main);
        shardChoices.put(baseline.pool(), choice);
        pools = pools.with(Map.of(baseline.pool(), choice.values()));
        notes.add(String.format(Locale.ROOT, "${%s} narrowed to %d value%s on %s, so that every side reads the"
                + " same rows", baseline.pool(), choice.values().size(), choice.values().size() == 1 ? "" : "s",
            choice.label()));
      }
    }
    if (grpc) {
      sides.add(grpcSide("load", options.name(), main, options.calls(), methods, pools));
    } else {
      sides.add(httpSide(targets, pools));
    }
    for (int i = 0; i < baselines.size(); i++) {
      BaselineProfile baseline = baselines.get(i);
      String name = options.baselines().get(i);
      switch (baseline.kind()) {
        case "target" -> {
          if (!grpc) {
            throw new ConfigException("baseline " + name + " runs gRPC calls; this run calls HTTP routes");
          }
          sides.add(grpcSide("baseline", name, endpointOf(targets.get(baseline.target()), targets),
              options.calls(), methods, pools));
        }
        case "call" -> {
          CallSpec call = CallSpec.parse(baseline.call());
          if (call.protocol() != CallSpec.Protocol.GRPC) {
            throw new ConfigException("baseline " + name + " must call a gRPC method, not " + call.label());
          }
          sides.add(grpcSide("baseline", name, endpointOf(targets.get(baseline.target()), targets), List.of(call),
              methods, pools));
        }
        case "pgbench" -> {
          ShardChoice shard = shardChoices.get(baseline.pool());
          sides.add(new Side("baseline", PgbenchLoad.of(name, PgbenchLoad.Database.ofJdbcUrl(shard.url(),
              shard.user(), shard.password()), baseline.sql(), baseline.variable(), shard.values(),
              options.model(), engineDir), List.of(), true, false, Optional.empty(), false));
        }
        default -> {
          ShardChoice shard = shardChoices.get(baseline.pool());
          int poolSize = Runtime.getRuntime().availableProcessors() * 2 + 1;
          sides.add(new Side("baseline", JdbcLoad.of(name, shard.url(), shard.user(), shard.password(),
              baseline.jdbcSql(), shard.values(), poolSize, options.model()), List.of(), true, true,
              Optional.empty(), false));
        }
      }
    }
  }

  private Side grpcSide(String role, String name, Endpoint endpoint, List<CallSpec> specs, GrpcMethods methods,
      ValuePools pools) throws Exception {
    List<GrpcCall> calls = new ArrayList<>();
    for (CallSpec spec : specs) {
      MethodDescriptor method = methods.resolve(spec.target());
      calls.add(GrpcCall.of(GrpcRequests.of(method, RequestTemplate.of(spec.body()), pools), spec.weight(),
          GrpcMethods.fullName(method) + " " + spec.body()));
    }
    GrpcCall first = calls.get(0);
    byte[] sample = first.requests().representative();
    // The probe sends what h2load repeats; a template with ${seq} and the like gets a fresh request each time (a
    // CreateUser sent twice would be ALREADY_EXISTS).
    boolean fresh = !RequestTemplate.of(specs.get(0).body()).reusable();
    Supplier<BenchReport.Probe> probe = () -> {
      GrpcProbe.Outcome outcome = GrpcProbe.call(endpoint.host(), endpoint.port(), first,
          fresh ? first.requests().next() : sample, endpoint.token());
      return new BenchReport.Probe("", outcome.toString(), outcome.ok());
    };
    Load load;
    if (options.engine().equals("h2load")) {
      if (calls.size() > 1 || !first.unary()) {
        throw new ConfigException("h2load sends one unary call again and again; use --engine java for a mix or"
            + " a stream");
      }
      load = H2loadLoad.grpc(name, endpoint.host(), endpoint.port(), first.method().getFullMethodName(), sample,
          first.requests().toJson(sample), options.model(), endpoint.token(), engineDir);
    } else {
      load = JavaGrpcLoad.connect(name, endpoint.host(), endpoint.port(), calls, options.model(),
          endpoint.token(), options.deadline(), options.clientMessages());
    }
    return new Side(role, load, endpoint.jvms(), endpoint.shards().isPresent(),
        options.engine().equals("java"), Optional.of(probe), endpoint.traced());
  }

  private Side httpSide(LocalTargets targets, ValuePools pools) throws Exception {
    String base;
    Optional<String> token = options.token();
    List<Long> jvms = List.of();
    boolean database = false;
    if (options.local().isPresent()) {
      LocalTargets.Started target = targets.get(options.local().get());
      if (!target.profile().protocol().equals("http")) {
        throw new ConfigException("HTTP calls need an HTTP target; " + target.name() + " speaks gRPC");
      }
      base = "http://" + target.host() + ":" + target.port();
      token = token.or(target::token);
      jvms = targets.jvmsServing(target.name());
      database = targets.all().stream().anyMatch(t -> t.shards().isPresent());
    } else {
      base = options.edge().orElseThrow(() -> new ConfigException("HTTP calls need --edge URL or --local"));
    }
    if (options.engine().equals("h2load")) {
      if (options.calls().size() > 1) {
        throw new ConfigException("h2load sends one request again and again; use --engine java for a mix");
      }
      CallSpec call = options.calls().get(0);
      String path = RequestTemplate.of(call.target()).render(pools::first);
      String body = RequestTemplate.of(call.body()).render(pools::first);
      return new Side("load", H2loadLoad.http(options.name(), URI.create(base).resolve(path).toString(),
          call.httpMethod(), body, options.model(), options.http1(), token, engineDir), jvms, database, false,
          Optional.empty(), false);
    }
    List<JavaHttpLoad.HttpCall> calls = options.calls().stream().map(c -> new JavaHttpLoad.HttpCall(
        c.httpMethod(), RequestTemplate.of(c.target()), RequestTemplate.of(c.body()), c.weight())).toList();
    return new Side("load", JavaHttpLoad.of(options.name(), URI.create(base), calls, pools, options.model(),
        token), jvms, database, true, Optional.empty(), false);
  }

  /** The shard a database baseline reads, and the pool's values that live there (at most 16). */
  private record ShardChoice(String url, String user, String password, List<String> values, String label) {}

  private ShardChoice chooseShard(BaselineProfile baseline, ValuePools pools, Endpoint main) {
    List<String> values = pools.pool(baseline.pool()).orElseThrow(() -> new ConfigException("baseline needs the"
        + " pool '" + baseline.pool() + "' (a local target fills it, or --pool " + baseline.pool() + "=...)"));
    if (options.shardUrl().isPresent()) {
      String url = options.shardUrl().get();
      return new ShardChoice(url, options.shardUser(), options.shardPassword(),
          values.subList(0, Math.min(values.size(), 16)), url);
    }
    if (main == null || main.shards().isEmpty()) {
      throw new ConfigException("a database baseline reads the target's shards: use --local with a target that"
          + " has shards, or give --shard-url");
    }
    ShardTopology topology = main.shards().get();
    // The shard of the first value that exists; then the first 16 values on that shard.
    for (String value : values) {
      for (ShardSpec shard : topology.shards()) {
        if (!valuesOn(shard, baseline.jdbcSql(), List.of(value), 1).isEmpty()) {
          return new ShardChoice(shard.jdbcUrl(), shard.user(), shard.password(),
              valuesOn(shard, baseline.jdbcSql(), values, 16), shard.name());
        }
      }
    }
    throw new ConfigException("none of the pool '" + baseline.pool() + "' values is on any shard");
  }

  /** Up to {@code limit} of {@code values} for which {@code sql} finds a row on {@code shard}. */
  private static List<String> valuesOn(ShardSpec shard, String sql, List<String> values, int limit) {
    List<String> found = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(shard.jdbcUrl(), shard.user(), shard.password());
        PreparedStatement s = c.prepareStatement(sql)) {
      for (String value : values) {
        s.setObject(1, value.matches("-?\\d{1,18}") ? (Object) Long.parseLong(value) : value);
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next()) {
            found.add(value);
            if (found.size() == limit) {
              break;
            }
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading " + shard.name() + ": " + e.getMessage(), e);
    }
    return found;
  }
}
