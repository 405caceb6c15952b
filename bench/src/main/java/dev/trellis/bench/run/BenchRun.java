package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.trellis.bench.call.CallSpec;
import dev.trellis.bench.call.GrpcMethods;
import dev.trellis.bench.call.GrpcRequests;
import dev.trellis.bench.call.RequestTemplate;
import dev.trellis.bench.call.ValuePools;
import dev.trellis.bench.engine.ExternalEngines;
import dev.trellis.bench.engine.GrpcCall;
import dev.trellis.bench.engine.GrpcProbe;
import dev.trellis.bench.engine.H2loadLoad;
import dev.trellis.bench.engine.JavaGrpcLoad;
import dev.trellis.bench.engine.JavaHttpLoad;
import dev.trellis.bench.engine.JdbcLoad;
import dev.trellis.bench.engine.Load;
import dev.trellis.bench.engine.PgbenchLoad;
import dev.trellis.bench.measure.ProcessCpu;
import dev.trellis.bench.measure.ProcessCpu.CpuTime;
import dev.trellis.bench.measure.Recording;
import dev.trellis.bench.report.BenchReport;
import dev.trellis.bench.report.MachineInfo;
import dev.trellis.bench.report.ReportWriter;
import dev.trellis.bench.targets.BaselineProfile;
import dev.trellis.bench.targets.BenchConfig;
import dev.trellis.bench.targets.LocalTargets;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One run of {@code ./trellis bench}: starts the local targets, fills the pools, builds the load and its baselines,
 * probes, warms every side up, measures the rounds alternating between sides (so that the machine's noise hits them
 * alike), probes again, and writes the report.
 */
public final class BenchRun {
  private final BenchOptions options;
  private final BenchConfig config;
  private final PrintStream out;
  private final ProgressLine progress;
  private final List<String> notes = new ArrayList<>();

  public BenchRun(BenchOptions options, BenchConfig config, PrintStream out, PrintStream err) {
    this.options = requireNonNull(options, "options");
    this.config = requireNonNull(config, "config");
    this.out = requireNonNull(out, "out");
    this.progress = new ProgressLine(err, options.progress());
  }

  /** Thrown when an external engine the run needs is not installed. */
  public static final class MissingEngineException extends RuntimeException {
    MissingEngineException(String message) {
      super(message);
    }
  }

  public BenchReport run() throws Exception {
    Files.createDirectories(engineDir());
    Instant started = Instant.now();
    double loadAtStart = MachineInfo.loadAverage();
    List<BaselineProfile> baselines = options.baselines().stream().map(config::baseline).toList();
    checkEngines(baselines);
    Set<String> localNames = new LinkedHashSet<>();
    options.local().ifPresent(localNames::add);
    baselines.stream().filter(b -> b.kind().equals("target")).forEach(b -> localNames.add(b.target()));
    if (!localNames.isEmpty() && options.local().isEmpty() && options.target().isEmpty()
        && options.edge().isEmpty()) {
      throw new ConfigException("say where the load goes: --local NAME or --target HOST:PORT");
    }
    LocalTargets targets = localNames.isEmpty() ? null : LocalTargets.start(config, List.copyOf(localNames),
        options.out(), options.seed(), options.targetEnv(), options.keepLogs(), progress.messages());
    List<Side> sides = new ArrayList<>();
    try {
      build(targets, baselines, sides);
      measure(targets, sides);
      BenchReport report = report(started, loadAtStart, targets, sides);
      ReportWriter.write(report, options.out());
      printSummary(report);
      return report;
    } finally {
      for (Side side : sides) {
        side.load.close();
      }
      if (targets != null) {
        targets.close();
      }
    }
  }

  /** Where the engines' scripts, frames and outputs go. */
  private java.nio.file.Path engineDir() {
    return options.out().resolve("engine");
  }

  private void checkEngines(List<BaselineProfile> baselines) {
    List<String> needed = new ArrayList<>();
    if (options.engine().equals("h2load")) {
      needed.add(H2loadLoad.BINARY);
    }
    baselines.stream().filter(b -> b.kind().equals("pgbench")).forEach(b -> needed.add(PgbenchLoad.BINARY));
    List<String> missing = ExternalEngines.missing(needed);
    if (!missing.isEmpty()) {
      throw new MissingEngineException(ExternalEngines.missingMessage(missing));
    }
  }

  /** Where the load's gRPC calls go: the local target or --target. */
  private record Endpoint(String host, int port, Optional<String> token, OptionalLong jvm, boolean traced,
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
          OptionalLong.empty(), false, Optional.empty());
    } catch (NumberFormatException e) {
      throw new ConfigException("--target must be HOST:PORT, got '" + address + "'");
    }
  }

  private static Endpoint endpointOf(LocalTargets.Started target, LocalTargets targets) {
    boolean traced = target.env().containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
        && targets.otlpSink().isPresent() && "false".equals(target.env().get("OTEL_SDK_DISABLED"));
    return new Endpoint(target.host(), target.port(), target.token(), OptionalLong.of(target.pid()), traced,
        target.shards());
  }

  private void build(LocalTargets targets, List<BaselineProfile> baselines, List<Side> sides) throws Exception {
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
      if (!baseline.kind().equals("target") && !shardChoices.containsKey(baseline.pool())) {
        ShardChoice choice = chooseShard(baseline, pools, main);
        shardChoices.put(baseline.pool(), choice);
        pools = pools.with(Map.of(baseline.pool(), choice.values()));
        notes.add(String.format(Locale.ROOT, "${%s} narrowed to %d value%s on %s, so that every side reads the"
                + " same rows", baseline.pool(), choice.values().size(), choice.values().size() == 1 ? "" : "s",
            choice.label()));
      }
    }
    if (grpc) {
      sides.add(grpcSide("load", options.name(), main, methods, pools));
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
          sides.add(grpcSide("baseline", name, endpointOf(targets.get(baseline.target()), targets), methods,
              pools));
        }
        case "pgbench" -> {
          ShardChoice shard = shardChoices.get(baseline.pool());
          sides.add(new Side("baseline", PgbenchLoad.of(name, PgbenchLoad.Database.ofJdbcUrl(shard.url(),
              shard.user(), shard.password()), baseline.sql(), baseline.variable(), shard.values(),
              options.model(), engineDir()), OptionalLong.empty(), true, false, Optional.empty(), false));
        }
        default -> {
          ShardChoice shard = shardChoices.get(baseline.pool());
          int poolSize = Runtime.getRuntime().availableProcessors() * 2 + 1;
          sides.add(new Side("baseline", JdbcLoad.of(name, shard.url(), shard.user(), shard.password(),
              baseline.jdbcSql(), shard.values(), poolSize, options.model()), OptionalLong.empty(), true, true,
              Optional.empty(), false));
        }
      }
    }
  }

  private Side grpcSide(String role, String name, Endpoint endpoint, GrpcMethods methods, ValuePools pools)
      throws Exception {
    List<GrpcCall> calls = new ArrayList<>();
    for (CallSpec spec : options.calls()) {
      MethodDescriptor method = methods.resolve(spec.target());
      calls.add(GrpcCall.of(GrpcRequests.of(method, RequestTemplate.of(spec.body()), pools), spec.weight(),
          GrpcMethods.fullName(method) + " " + spec.body()));
    }
    GrpcCall first = calls.get(0);
    byte[] sample = first.requests().representative();
    Supplier<BenchReport.Probe> probe = () -> {
      GrpcProbe.Outcome outcome = GrpcProbe.call(endpoint.host(), endpoint.port(), first, sample,
          endpoint.token());
      return new BenchReport.Probe("", outcome.toString(), outcome.ok());
    };
    Load load;
    if (options.engine().equals("h2load")) {
      if (calls.size() > 1 || !first.unary()) {
        throw new ConfigException("h2load sends one unary call again and again; use --engine java for a mix or"
            + " a stream");
      }
      load = H2loadLoad.grpc(name, endpoint.host(), endpoint.port(), first.method().getFullMethodName(), sample,
          first.requests().toJson(sample), options.model(), endpoint.token(), engineDir());
    } else {
      load = JavaGrpcLoad.connect(name, endpoint.host(), endpoint.port(), calls, options.model(),
          endpoint.token(), options.deadline(), options.clientMessages());
    }
    return new Side(role, load, endpoint.jvm(), endpoint.shards().isPresent(),
        options.engine().equals("java"), Optional.of(probe), endpoint.traced());
  }

  private Side httpSide(LocalTargets targets, ValuePools pools) throws Exception {
    String base;
    Optional<String> token = options.token();
    OptionalLong jvm = OptionalLong.empty();
    boolean database = false;
    if (options.local().isPresent()) {
      LocalTargets.Started target = targets.get(options.local().get());
      if (!target.profile().protocol().equals("http")) {
        throw new ConfigException("HTTP calls need an HTTP target; " + target.name() + " speaks gRPC");
      }
      base = "http://" + target.host() + ":" + target.port();
      token = token.or(target::token);
      jvm = OptionalLong.of(target.pid());
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
          call.httpMethod(), body, options.model(), token, engineDir()), jvm, database, false, Optional.empty(),
          false);
    }
    List<JavaHttpLoad.HttpCall> calls = options.calls().stream().map(c -> new JavaHttpLoad.HttpCall(
        c.httpMethod(), RequestTemplate.of(c.target()), RequestTemplate.of(c.body()), c.weight())).toList();
    return new Side("load", JavaHttpLoad.of(options.name(), URI.create(base), calls, pools, options.model(),
        token), jvm, database, true, Optional.empty(), false);
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

  private void measure(LocalTargets targets, List<Side> sides) throws Exception {
    for (Side side : sides) {
      side.probe.ifPresent(p -> side.probes.add(withWhen(p.get(), "before")));
    }
    for (Side side : sides) {
      progress.say("warming up " + side.name() + " (" + options.warmup().describe() + ")");
      side.warmup = WarmUp.run(side.load, options.warmup(), side.targetJvm, side.generatorInThisJvm,
          progress.forRun("warm-up", side.name()), side.warmupTimeline);
      progress.say(side.name() + ": " + side.warmup.verdict());
    }
    for (int r = 1; r <= options.rounds(); r++) {
      for (Side side : sides) {
        measureRound(targets, side, r);
      }
    }
    for (Side side : sides) {
      side.probe.ifPresent(p -> side.probes.add(withWhen(p.get(), "after")));
    }
    progress.finish();
  }

  private static BenchReport.Probe withWhen(BenchReport.Probe probe, String when) {
    return new BenchReport.Probe(when, probe.status(), probe.ok());
  }

  private void measureRound(LocalTargets targets, Side side, int round) throws Exception {
    long self = ProcessHandle.current().pid();
    List<Long> databases = side.usesDatabase && targets != null ? targets.databaseRoots() : List.of();
    CpuTime targetBefore = side.targetJvm.isPresent() ? ProcessCpu.of(side.targetJvm.getAsLong())
        : CpuTime.UNKNOWN;
    CpuTime databaseBefore = databases.isEmpty() ? CpuTime.UNKNOWN : ProcessCpu.ofTrees(databases);
    long machineBefore = ProcessCpu.machineBusyNanos();
    long spansBefore = side.traced ? targets.otlpSink().orElseThrow().spans() : 0;
    CpuTime selfBefore = ProcessCpu.of(self);
    String startedAt = Instant.now().toString();
    long t0 = System.nanoTime();
    Load.Round result = side.load.run(options.count() > 0 ? Duration.ZERO : options.settle(),
        options.roundDuration(), options.countPerRound(),
        progress.forRun("round " + round + "/" + options.rounds(), side.name()));
    double wall = (System.nanoTime() - t0) / 1e9;
    CpuTime target = side.targetJvm.isPresent() ? ProcessCpu.of(side.targetJvm.getAsLong()).minus(targetBefore)
        : CpuTime.UNKNOWN;
    CpuTime database = databases.isEmpty() ? CpuTime.UNKNOWN : ProcessCpu.ofTrees(databases).minus(databaseBefore);
    long machineAfter = ProcessCpu.machineBusyNanos();
    if (side.traced) {
      // Spans of the round's last calls leave with the next export (every 200 ms): wait a little for them.
      Thread.sleep(500);
      side.spans += targets.otlpSink().orElseThrow().spans() - spansBefore;
      CpuTime receiver = ProcessCpu.of(self).minus(selfBefore);
      if (receiver.known() && !side.generatorInThisJvm) {
        side.receiverCpuSeconds += receiver.totalNanos() / 1e9;
      }
    }
    side.measuredSeconds += wall;
    side.rounds.add(result);
    Recording rec = result.recording();
    // CPU covers the whole run, settling included: per call it divides by every call the run made.
    BenchReport.Cpu cpu = cpu(result.generatorCpu(), target, database,
        machineBefore < 0 || machineAfter < 0 ? -1 : machineAfter - machineBefore, wall, result.allCalls());
    side.roundReports.add(new BenchReport.Round(round, startedAt, rec.seconds(), rec.calls(), rec.errors(),
        rec.callsPerSecond(), rec.messagesPerSecond(), rec.percentile(50), rec.percentile(99), cpu,
        result.notes()));
    progress.say(String.format(Locale.ROOT, "round %d/%d %-28s %,10.0f calls/s  p50 %s  p99 %s  errors %,d",
        round, options.rounds(), side.name(), rec.callsPerSecond(), ProgressLine.millis(rec.percentile(50)),
        ProgressLine.millis(rec.percentile(99)), rec.errors()));
  }

  static BenchReport.Cpu cpu(CpuTime generator, CpuTime target, CpuTime database, long machineBusyNanos,
      double seconds, long calls) {
    return new BenchReport.Cpu(cores(generator, seconds), cores(target, seconds), cores(database, seconds),
        machineBusyNanos < 0 ? -1 : machineBusyNanos / 1e9 / seconds, perCall(generator, calls),
        perCall(target, calls), perCall(database, calls),
        target.known() ? target.compilerNanos() / 1e9 / seconds : -1);
  }

  private static double cores(CpuTime used, double seconds) {
    return used.known() && seconds > 0 ? used.totalNanos() / 1e9 / seconds : -1;
  }

  private static double perCall(CpuTime used, long calls) {
    return used.known() && calls > 0 ? used.totalNanos() / 1e3 / calls : -1;
  }

  private BenchReport report(Instant started, double loadAtStart, LocalTargets targets, List<Side> sides) {
    List<BenchReport.Side> sideReports = new ArrayList<>();
    for (Side side : sides) {
      Recording total = side.total();
      List<String> sideNotes = new ArrayList<>(side.load.info().notes());
      side.rounds.forEach(r -> sideNotes.addAll(r.notes()));
      if (side.traced) {
        sideNotes.add(String.format(Locale.ROOT, "tracing: the bench's OTLP receiver got %,d spans for %,d calls"
            + " in the measured rounds (%.2f per call)", side.spans, total.calls(),
            total.calls() == 0 ? 0 : (double) side.spans / total.calls()));
        if (side.receiverCpuSeconds > 0) {
          sideNotes.add(String.format(Locale.ROOT, "the receiver (in the bench's JVM, on the same cores) used %.2f"
              + " cores while this side ran", side.receiverCpuSeconds / side.measuredSeconds));
        }
      }
      sideReports.add(new BenchReport.Side(side.name(), side.role, side.load.info().engine(),
          side.load.info().target(), side.load.info().work(), side.load.info().model(),
          side.load.info().command(), sideNotes, side.warmup, side.roundReports, ReportWriter.summary(total),
          ReportWriter.percentiles(total), total.timeline(), side.warmupTimeline, side.probes,
          averageCpu(side.roundReports)));
    }
    // Each side over every baseline listed after it: list baselines from the most work to the least (chain with
    // tracing, then bare grpc-java; raw JDBC, then pgbench) and every ratio printed is one worth reading.
    List<BenchReport.Ratio> ratios = new ArrayList<>();
    for (int j = 1; j < sides.size(); j++) {
      Side baseline = sides.get(j);
      for (int i = 0; i < j; i++) {
        Side side = sides.get(i);
        List<Double> perRound = new ArrayList<>();
        for (int r = 0; r < Math.min(side.rounds.size(), baseline.rounds.size()); r++) {
          perRound.add(ratio(side.rounds.get(r).recording().callsPerSecond(),
              baseline.rounds.get(r).recording().callsPerSecond()));
        }
        ratios.add(new BenchReport.Ratio(side.name(), baseline.name(), "calls/s",
            ratio(side.total().callsPerSecond(), baseline.total().callsPerSecond()), perRound));
      }
    }
    List<BenchReport.Target> targetReports = new ArrayList<>();
    if (targets != null) {
      for (LocalTargets.Started t : targets.all()) {
        targetReports.add(new BenchReport.Target(t.name(), t.host() + ":" + t.port(), t.profile().main(),
            t.startup().toMillis() / 1000.0, t.limits(), t.env()));
        if (!t.limits().isEmpty()) {
          notes.add("rate limits of " + t.name() + " raised for the run to " + LocalTargets.RAISED_LIMIT + " ("
              + String.join(", ", t.limits().keySet()) + "): the limiters still run on every call and refuse"
              + " none");
        }
      }
    } else {
      notes.add("the target's own rate limits apply (the bench did not start it): RESOURCE_EXHAUSTED in the"
          + " statuses means they refused calls");
    }
    String title = options.name() + (options.baselines().isEmpty() ? ""
        : " vs " + String.join(", ", options.baselines()));
    return new BenchReport(BenchReport.SCHEMA, title, started.toString(),
        Duration.between(started, Instant.now()).toMillis() / 1000.0, options.command(),
        MachineInfo.current(loadAtStart), new BenchReport.Settings(options.model().describe(),
        options.warmup().describe(), options.rounds(),
        options.count() > 0 ? 0 : options.roundDuration().toMillis() / 1000.0, options.countPerRound(),
        options.count() > 0 ? 0 : options.settle().toMillis() / 1000.0),
        targetReports, sideReports, ratios, List.copyOf(notes));
  }

  private static double ratio(double a, double b) {
    return b > 0 ? a / b : 0;
  }

  /** A side's CPU over its rounds: the mean of the rounds' figures (each known one). */
  private static BenchReport.Cpu averageCpu(List<BenchReport.Round> rounds) {
    double[] sums = new double[8];
    int[] counts = new int[8];
    for (BenchReport.Round round : rounds) {
      BenchReport.Cpu c = round.cpu();
      double[] values = {c.generatorCores(), c.targetCores(), c.databaseCores(), c.machineBusyCores(),
          c.generatorMicrosPerCall(), c.targetMicrosPerCall(), c.databaseMicrosPerCall(), c.targetCompilerCores()};
      for (int i = 0; i < values.length; i++) {
        if (values[i] >= 0) {
          sums[i] += values[i];
          counts[i]++;
        }
      }
    }
    double[] m = new double[8];
    for (int i = 0; i < m.length; i++) {
      m[i] = counts[i] == 0 ? -1 : sums[i] / counts[i];
    }
    return new BenchReport.Cpu(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
  }

  private void printSummary(BenchReport report) {
    out.println();
    out.println(ReportWriter.text(report));
    out.println("report: " + options.out().resolve("report.html") + " (and report.json)");
  }
}
