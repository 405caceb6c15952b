package dev.trellis.bench.run;

import dev.trellis.bench.call.CallSpec;
import dev.trellis.bench.engine.LoadModel;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of {@code ./trellis bench}, read once and checked at start (see {@link #USAGE}). Flags that may
 * repeat ({@code --call}, {@code --pool}, {@code --baseline}, {@code --target-env}) are taken first; the rest go
 * through the platform's {@link Settings}, so a wrong value stops the bench with one line naming it.
 */
public record BenchOptions(Optional<String> target, Optional<String> edge, Optional<String> local,
    List<CallSpec> calls, Map<String, String> pools, List<String> baselines, String engine, boolean http1,
    LoadModel model,
    Duration duration, long count, int rounds, Duration settle, WarmupPolicy warmup, Optional<String> token,
    boolean dev, Path stateDir, boolean reflection, Optional<Duration> deadline, int clientMessages, int seed,
    Map<String, String> targetEnv, List<String> targetJvm, Path out, String name, ProgressLine.Mode progress, Optional<Path> config,
    boolean keepLogs, Optional<String> shardUrl, String shardUser, String shardPassword, String command) {

  public static final String USAGE = """
      Usage: ./trellis bench [flags]            a load against one target, with baselines, and a report
             ./trellis bench targets            the local targets and baselines it knows (bench.json)
             ./trellis bench suite [--quick] [--only a,b] [--write BENCHMARKS.md]
                                                every figure of BENCHMARKS.md in one run (suite.json)
             ./trellis bench data-layer [...]   jOOQ/Hikari against raw JDBC, one page over 4 shards against 1

      What to call (repeat --call for a weighted mix):
        --call 'trellis.user.v1.UserService/GetUser {"id":"${user_id}"}'   gRPC method (or Service/Method, or Method)
                                                                           and a JSON request template
        --call '9*GetUser {"id":"${user_id}"}'                             weight 9 in a mix
        --call 'GET /v1/users/${user_id}'                                  REST through the edge (--edge URL)
        --pool NAME=a,b,c | NAME=@file | NAME=rpc:METHOD:JSON:FIELD       values of ${NAME}, drawn at random;
                                                                           ${seq} ${uuid} ${random} are built in
      Where:
        --local NAME                 start that target here, in its own JVM (user-service, echo-chain...: see
                                     ./trellis bench targets); its shards are seeded, its pools filled
        --seed N                     rows to seed instead of the target's default
        --target HOST:PORT           any running deployment (with --token T, or --dev for the local mesh's key)
        --edge URL                   base URL of the REST edge
        --reflection                 read the methods from the server instead of the packaged contracts
      How:
        --engine java|h2load         the bench's own client (any call kind, varied requests), or h2load (unary
                                     gRPC with one prebuilt frame; one request to the edge)     [java]
        --http-version 1.1|2         HTTP to the edge with h2load: HTTP/1.1, a connection per call in flight;
                                     or h2c, the connections and streams of a gRPC load        [1.1]
        --in-flight N                calls in flight (closed loop), or the cap of an open loop   [32]
        --connections N              HTTP/2 connections (h2load -c; channels of the java engine) [4]
        --rate R                     open loop at R calls/s, latencies from the intended start   [closed loop]
        --duration D | --count N     measured per side, split over the rounds                     [30s]
        --rounds N                   rounds per side, alternating with the baselines  [1, or 3 with a baseline]
        --settle D                   the start of every timed round that is run but not measured (new
                                     connections, an engine's new process or database backends)   [2s]
        --warmup auto|off|D          per side; auto: 5 s slices until the rate and the JIT settle [auto]
        --warmup-min D --warmup-max D  bounds of auto                                            [20s, 120s]
        --baseline NAME              measure NAME too, alternating rounds, and print the ratios (repeatable):
                                     bare-grpc, bare-grpc-vt, bare-grpc-vt-tracing, chain, chain-tracing,
                                     pgbench-point-read, jdbc-point-read, getuser-floor, getuser-floor-blocking,
                                     getuser-direct, or any in bench.json
        --deadline D                 a deadline per call (java engine)
        --client-messages N          requests per call of a client or bidi stream                 [1]
        --target-env NAME=VALUE      added to every local target's environment (repeatable)
        --target-jvm FLAG            a JVM flag for every local target (repeatable), such as
                                     -agentpath:/path/libasyncProfiler.so=start,event=cpu,file=cpu.html
        --shard-url URL              the shard a database baseline reads, for a remote target (jdbc: URL)
        --shard-user U --shard-password P
      Output:
        --out DIR                    report.json, report.html, engine logs     [bench-results/<time>-<name>]
        --name TEXT                  the load's name in the report             [the call]
        --progress auto|line|plain|off                                          [auto]
        --keep-logs                  keep the targets' stdout (access logs) in DIR/logs
        --config FILE                targets and baselines instead of the packaged bench.json
      """;

  private static final Set<String> REPEATED = Set.of("call", "pool", "baseline", "target-env", "target-jvm");

  /** Reads the flags; {@code command} is the command line as typed, for the report. */
  public static BenchOptions parse(String[] args, Path root) {
    Map<String, List<String>> repeated = new LinkedHashMap<>();
    REPEATED.forEach(name -> repeated.put(name, new ArrayList<>()));
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String flag = arg.startsWith("--") ? arg.substring(2) : "";
      // A repeated flag's value may itself start with dashes (--target-jvm -Xmx2g): take the next argument as is.
      int eq = flag.indexOf('=');
      String name = eq >= 0 ? flag.substring(0, eq) : flag;
      if (REPEATED.contains(name)) {
        if (eq >= 0) {
          repeated.get(name).add(flag.substring(eq + 1));
        } else if (i + 1 < args.length) {
          repeated.get(name).add(args[++i]);
        } else {
          throw new ConfigException("--" + name + " needs a value");
        }
      } else {
        rest.add(arg);
      }
    }
    Settings s = Settings.of(Map.of(), rest.toArray(String[]::new));
    Optional<String> target = s.optional("TRELLIS_TARGET");
    Optional<String> edge = s.optional("TRELLIS_EDGE");
    Optional<String> local = s.optional("TRELLIS_LOCAL");
    if (target.isPresent() && local.isPresent()) {
      throw new ConfigException("--target and --local exclude each other");
    }
    List<CallSpec> calls = repeated.get("call").stream().map(CallSpec::parse).toList();
    if (calls.isEmpty()) {
      throw new ConfigException("say what to call with --call (see ./trellis bench --help)");
    }
    Map<String, String> pools = new LinkedHashMap<>();
    for (String pool : repeated.get("pool")) {
      int eq = pool.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--pool must be NAME=SOURCE, got '" + pool + "'");
      }
      pools.put(pool.substring(0, eq), pool.substring(eq + 1));
    }
    Map<String, String> targetEnv = new LinkedHashMap<>();
    for (String env : repeated.get("target-env")) {
      int eq = env.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--target-env must be NAME=VALUE, got '" + env + "'");
      }
      targetEnv.put(env.substring(0, eq), env.substring(eq + 1));
    }
    List<String> baselines = List.copyOf(repeated.get("baseline"));
    String engine = s.string("TRELLIS_ENGINE", "java").toLowerCase(Locale.ROOT);
    if (!engine.equals("java") && !engine.equals("h2load")) {
      throw new ConfigException("--engine must be java or h2load, got '" + engine + "'");
    }
    String httpVersion = s.string("TRELLIS_HTTP_VERSION", "1.1");
    if (!httpVersion.equals("1.1") && !httpVersion.equals("2")) {
      throw new ConfigException("--http-version must be 1.1 or 2, got '" + httpVersion + "'");
    }
    if (httpVersion.equals("2") && !engine.equals("h2load")) {
      throw new ConfigException("--http-version 2 needs --engine h2load (the java engine speaks HTTP/1.1)");
    }
    int inFlight = s.integer("TRELLIS_IN_FLIGHT", 32, 1, 100_000);
    int connections = s.integer("TRELLIS_CONNECTIONS", Math.min(4, inFlight), 1, 10_000);
    double rate;
    try {
      rate = Double.parseDouble(s.string("TRELLIS_RATE", "0"));
    } catch (NumberFormatException e) {
      throw new ConfigException("--rate must be calls per second, such as 5000, got '"
          + s.string("TRELLIS_RATE", "") + "'");
    }
    LoadModel model = rate > 0 ? LoadModel.open(rate, inFlight, connections)
        : LoadModel.closed(inFlight, connections);
    long count = s.longValue("TRELLIS_COUNT", 0, 0, Long.MAX_VALUE);
    Duration duration = s.duration("TRELLIS_DURATION", Duration.ofSeconds(30));
    if (duration.isZero() && count == 0) {
      throw new ConfigException("give a --duration or a --count");
    }
    int rounds = s.integer("TRELLIS_ROUNDS", baselines.isEmpty() ? 1 : 3, 1, 1000);
    Duration settle = s.duration("TRELLIS_SETTLE", Duration.ofSeconds(2));
    WarmupPolicy warmup = WarmupPolicy.of(s.string("TRELLIS_WARMUP", "auto"),
        s.duration("TRELLIS_WARMUP_MIN", WarmupPolicy.DEFAULT_MIN),
        s.duration("TRELLIS_WARMUP_MAX", WarmupPolicy.DEFAULT_MAX));
    Optional<String> token = s.optional("TRELLIS_TOKEN");
    boolean dev = s.bool("TRELLIS_DEV", false);
    Path stateDir = s.path("TRELLIS_STATE_DIR", root.resolve(".trellis"));
    boolean reflection = s.bool("TRELLIS_REFLECTION", false);
    Optional<Duration> deadline = s.optional("TRELLIS_DEADLINE").map(d -> s.duration("TRELLIS_DEADLINE", null));
    int clientMessages = s.integer("TRELLIS_CLIENT_MESSAGES", 1, 1, 1_000_000);
    int seed = s.integer("TRELLIS_SEED", -1, 0, 100_000_000);
    String name = s.string("TRELLIS_NAME", calls.size() == 1 ? shortLabel(calls.get(0)) : "mix");
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path out = s.path("TRELLIS_OUT", root.resolve("bench-results").resolve(stamp + "-"
        + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "")));
    ProgressLine.Mode progress = s.choice("TRELLIS_PROGRESS", ProgressLine.Mode.class, ProgressLine.Mode.AUTO);
    Optional<Path> config = s.optional("TRELLIS_CONFIG").map(Path::of);
    boolean keepLogs = s.bool("TRELLIS_KEEP_LOGS", false);
    Optional<String> shardUrl = s.optional("TRELLIS_SHARD_URL");
    String shardUser = s.string("TRELLIS_SHARD_USER", "postgres");
    String shardPassword = s.string("TRELLIS_SHARD_PASSWORD", "");
    s.rejectUnknownFlags();
    return new BenchOptions(target, edge, local, calls, Map.copyOf(pools), baselines, engine,
        httpVersion.equals("1.1"), model, duration,
        count, rounds, settle, warmup, token, dev, stateDir, reflection, deadline, clientMessages, seed,
        Map.copyOf(targetEnv), List.copyOf(repeated.get("target-jvm")), out, name, progress, config, keepLogs, shardUrl, shardUser, shardPassword,
        commandLine(args));
  }

  /** {@code GetUser} for {@code trellis.user.v1.UserService/GetUser}, {@code GET /v1/users/...} as it is. */
  static String shortLabel(CallSpec call) {
    if (call.protocol() == CallSpec.Protocol.HTTP) {
      return call.label();
    }
    String target = call.target();
    return target.substring(target.lastIndexOf('/') + 1);
  }

  /** The command as a shell would take it back: arguments with spaces or quotes single-quoted. */
  static String commandLine(String[] args) {
    StringBuilder line = new StringBuilder("./trellis bench");
    for (String arg : args) {
      line.append(' ').append(arg.matches("[A-Za-z0-9_./:=@,+-]+") ? arg
          : "'" + arg.replace("'", "'\\''") + "'");
    }
    return line.toString();
  }

  /** Calls per round in a counted run, time per round in a timed one. */
  public long countPerRound() {
    return count > 0 ? Math.max(1, count / rounds) : 0;
  }

  public Duration roundDuration() {
    return count > 0 ? Duration.ofHours(1) : duration.dividedBy(rounds);
  }
}
