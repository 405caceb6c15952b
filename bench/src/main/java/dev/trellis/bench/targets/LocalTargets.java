package dev.trellis.bench.targets;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.measure.ProcessCpu;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.testing.OtlpReceiver;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The targets a run starts on this machine, each in its own JVM: embedded PostgreSQL shards first when a target
 * owns a database (started by the bench and shared, as in {@code ./trellis up}), an OTLP receiver when a target
 * exports traces, then the targets in the order their {@code needs} say, each with a free port, the run's dev key and
 * its rate limits raised; once a target is ready, its shards are seeded and its pools filled.
 */
public final class LocalTargets implements AutoCloseable {
  /** What the rate limits are raised to: the limiters still run their buckets on every call, and never refuse. */
  public static final String RAISED_LIMIT = "1000000000/1000000000";
  private static final Duration READY_WITHIN = Duration.ofMinutes(3);
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z0-9_.-]+)}");

  /**
   * One running target.
   *
   * @param startup from the JVM's start to ready (SERVING, or accepting connections)
   * @param limits the rate-limit variables and the values they were raised to
   */
  public record Started(String name, TargetProfile profile, String host, int port, long pid,
      Optional<ShardTopology> shards, Optional<String> token, Map<String, String> limits, Duration startup,
      Map<String, String> env, List<String> jvm) {}

  private final Path runDir;
  private final PrintStream log;
  private final List<String> extraJvm;
  private final Map<String, Started> started = new LinkedHashMap<>();
  private final List<ChildJvm> jvms = new ArrayList<>();
  private final Map<String, List<String>> pools = new LinkedHashMap<>();
  private final Thread shutdownHook = new Thread(this::closeQuietly, "bench-targets-shutdown");
  private EmbeddedShards shards;
  private OtlpReceiver receiver;
  private boolean closed;

  private LocalTargets(Path runDir, PrintStream log, List<String> extraJvm) {
    this.runDir = runDir;
    this.log = log;
    this.extraJvm = extraJvm;
  }

  /**
   * Starts {@code names} and what they need.
   *
   * @param seedRows rows to seed per target with a seed, overriding the profiles' (-1: as the profile says)
   * @param extraEnv added to every target's environment ({@code --target-env}), after the profile's
   * @param extraJvm JVM flags added to every target's ({@code --target-jvm}: a profiler agent, GC settings)
   */
  public static LocalTargets start(BenchConfig config, List<String> names, Path runDir, int seedRows,
      Map<String, String> extraEnv, List<String> extraJvm, boolean keepLogs, PrintStream log)
      throws IOException, InterruptedException {
    requireNonNull(config, "config");
    LocalTargets targets = new LocalTargets(runDir, log, List.copyOf(extraJvm));
    Runtime.getRuntime().addShutdownHook(targets.shutdownHook);
    try {
      for (String name : names) {
        targets.startWithNeeds(config, name, new HashSet<>(), seedRows, extraEnv, keepLogs);
      }
      return targets;
    } catch (IOException | InterruptedException | RuntimeException e) {
      targets.close();
      throw e;
    }
  }

  private void startWithNeeds(BenchConfig config, String name, Set<String> visiting, int seedRows,
      Map<String, String> extraEnv, boolean keepLogs) throws IOException, InterruptedException {
    if (started.containsKey(name)) {
      return;
    }
    if (!visiting.add(name)) {
      throw new ConfigException("targets need each other in a circle: " + visiting);
    }
    TargetProfile profile = config.target(name);
    for (String need : profile.needs()) {
      startWithNeeds(config, need, visiting, seedRows, extraEnv, keepLogs);
    }
    startOne(name, profile, seedRows, extraEnv, keepLogs);
  }

  private void startOne(String name, TargetProfile profile, int seedRows, Map<String, String> extraEnv,
      boolean keepLogs) throws IOException, InterruptedException {
    Map<String, String> env = new TreeMap<>();
    Map<String, String> values = placeholderValues(profile);
    profile.env().forEach((k, v) -> env.put(k, substitute(v, values, name)));
    Optional<ShardTopology> topology = Optional.empty();
    if (profile.hasShards()) {
      topology = Optional.of(shards(profile.shards()).topology(profile.database()));
      env.putAll(topology.get().toSettings());
    }
    Map<String, String> limits = new TreeMap<>();
    profile.rateLimitVariables().forEach(v -> limits.put(v, RAISED_LIMIT));
    env.putAll(limits);
    int port = freePort();
    env.put(profile.portVariable(), Integer.toString(port));
    extraEnv.forEach(env::put);
    Optional<String> token = Optional.ofNullable(profile.token()).map(t -> DevTokens.create(
        AuthConfig.dev(devKey()), Clock.systemUTC()).mint(t.subject(), Set.copyOf(t.roles()), Duration.ofHours(12)));
    log.printf("bench: starting %s on 127.0.0.1:%d (%s)%n", name, port, profile.main());
    long t0 = System.nanoTime();
    List<String> jvmFlags = new ArrayList<>(profile.jvm());
    jvmFlags.addAll(extraJvm);
    ChildJvm jvm = ChildJvm.start(name, profile.main(), profile.args(), jvmFlags, profile.classpath(), env,
        runDir.resolve("logs"), keepLogs);
    jvms.add(jvm);
    awaitReady(name, profile, port, jvm);
    Duration startup = Duration.ofNanos(System.nanoTime() - t0);
    log.printf("bench: %s ready in %.1f s%n", name, startup.toMillis() / 1000.0);
    Map<String, String> shownEnv = new TreeMap<>(env);
    shownEnv.replaceAll((k, v) -> k.contains("PASSWORD") ? "***" : v);
    started.put(name, new Started(name, profile, "127.0.0.1", port, jvm.pid(), topology, token, limits, startup,
        shownEnv, List.copyOf(jvmFlags)));
    if (topology.isPresent() && profile.seed() != null) {
      int rows = seedRows >= 0 ? seedRows : profile.seed().rows() == null ? 0 : profile.seed().rows();
      seed(topology.get(), profile.seed().sql(), rows);
      log.printf("bench: seeded %d rows into %s's %d shards%n", rows, name, topology.get().size());
    }
    for (var pool : profile.pools().entrySet()) {
      List<String> filled = topology.map(t -> query(t, pool.getValue())).orElse(List.of());
      if (!filled.isEmpty()) {
        pools.put(pool.getKey(), filled);
      }
    }
  }

  /** {@code ${run.dir}}, {@code ${otlp.endpoint}} (starting the receiver on first use), {@code ${<target>.port}}. */
  private Map<String, String> placeholderValues(TargetProfile profile) throws IOException {
    Map<String, String> values = new TreeMap<>();
    values.put("run.dir", runDir.toAbsolutePath().toString());
    if (profile.env().values().stream().anyMatch(v -> v.contains("${otlp.endpoint}"))) {
      values.put("otlp.endpoint", receiver().endpoint());
    }
    started.forEach((n, s) -> values.put(n + ".port", Integer.toString(s.port())));
    return values;
  }

  private static String substitute(String text, Map<String, String> values, String target) {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new ConfigException("target " + target + ": unknown placeholder ${" + m.group(1) + "} (known: "
            + values.keySet() + ")");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return m.appendTail(out).toString();
  }

  private EmbeddedShards shards(int count) {
    if (shards == null) {
      log.printf("bench: starting %d embedded PostgreSQL shards%n", count);
      shards = EmbeddedShards.builder(runDir.resolve("shards")).shards(count).deleteOnClose(true)
          .closeOnJvmExit(false).start();
    } else if (shards.size() != count) {
      throw new ConfigException("targets of one run share the shards: " + shards.size() + " already, " + count
          + " asked");
    }
    return shards;
  }

  /**
   * A real OTLP/gRPC receiver on loopback, in the bench's JVM (otherwise idle while an external engine drives the
   * load): the target's exporter serializes and sends every batch as it would to a collector, and the report
   * compares the spans that arrived with the calls made (dropped spans would flatter tracing). It counts spans from
   * the requests' wire form and keeps none, so that it costs the shared cores little beside what it measures.
   */
  private OtlpReceiver receiver() throws IOException {
    if (receiver == null) {
      receiver = OtlpReceiver.counting();
    }
    return receiver;
  }

  /** The run's dev signing key, shared by every target in dev mode and the bench's tokens. */
  public Path devKey() {
    return runDir.resolve("dev-jwt-key.json").toAbsolutePath();
  }

  private void awaitReady(String name, TargetProfile profile, int port, ChildJvm jvm)
      throws InterruptedException, IOException {
    long giveUp = System.nanoTime() + READY_WITHIN.toNanos();
    while (System.nanoTime() < giveUp) {
      if (!jvm.alive()) {
        throw new IOException(name + " exited while starting:\n" + jvm.stderrHead());
      }
      if (ready(profile, port)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IOException(name + " was not ready within " + READY_WITHIN.toMinutes() + " minutes:\n"
        + jvm.stderrHead());
  }

  private static boolean ready(TargetProfile profile, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
    } catch (IOException e) {
      return false;
    }
    if (profile.health().isEmpty()) {
      return true;
    }
    if (profile.protocol().equals("http")) {
      try (HttpClient client = HttpClient.newHttpClient()) {
        HttpResponse<Void> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + profile.health())).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding());
        return response.statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(profile.health()).build())
          .getStatus() == ServingStatus.SERVING;
    } catch (RuntimeException e) {
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Runs the seed statement on every shard: {@code :buckets} the shard's buckets, {@code :rows} its share of
   * {@code rows}, {@code :shard} its index.
   */
  private static void seed(ShardTopology topology, String sql, int rows) {
    if (rows <= 0) {
      return;
    }
    BucketDirectory directory = BucketDirectory.evenRanges(topology.size());
    List<String> order = new ArrayList<>();
    Matcher m = Pattern.compile(":(buckets|rows|shard)\\b").matcher(sql);
    StringBuilder jdbc = new StringBuilder();
    while (m.find()) {
      order.add(m.group(1));
      m.appendReplacement(jdbc, "?");
    }
    m.appendTail(jdbc);
    for (int i = 0; i < topology.size(); i++) {
      ShardSpec shard = topology.shards().get(i);
      int share = rows / topology.size() + (i < rows % topology.size() ? 1 : 0);
      try (Connection c = DriverManager.getConnection(shard.jdbcUrl(), shard.user(), shard.password());
          PreparedStatement s = c.prepareStatement(jdbc.toString())) {
        Array buckets = c.createArrayOf("int4", Arrays.stream(directory.bucketsOf(i)).boxed().toArray());
        for (int p = 0; p < order.size(); p++) {
          switch (order.get(p)) {
            case "buckets" -> s.setArray(p + 1, buckets);
            case "rows" -> s.setInt(p + 1, share);
            default -> s.setInt(p + 1, i);
          }
        }
        s.execute();
      } catch (SQLException e) {
        throw new IllegalStateException("seeding " + shard.name() + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** The first column of {@code sql}'s rows on every shard, as text. */
  private static List<String> query(ShardTopology topology, String sql) {
    List<String> values = new ArrayList<>();
    for (ShardSpec shard : topology.shards()) {
      try (Connection c = DriverManager.getConnection(shard.jdbcUrl(), shard.user(), shard.password());
          PreparedStatement s = c.prepareStatement(sql);
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          values.add(rs.getString(1));
        }
      } catch (SQLException e) {
        throw new IllegalStateException("filling a pool from " + shard.name() + " failed: " + e.getMessage(), e);
      }
    }
    return values;
  }

  /** Which shard of {@code topology} holds the row {@code sql} finds for {@code value} (-1: none). */
  public static int shardHolding(ShardTopology topology, String sql, String value) {
    for (int i = 0; i < topology.size(); i++) {
      ShardSpec shard = topology.shards().get(i);
      try (Connection c = DriverManager.getConnection(shard.jdbcUrl(), shard.user(), shard.password());
          PreparedStatement s = c.prepareStatement(sql)) {
        s.setObject(1, value.matches("-?\\d{1,18}") ? (Object) Long.parseLong(value) : value);
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next()) {
            return i;
          }
        }
      } catch (SQLException e) {
        throw new IllegalStateException("looking for " + value + " on " + shard.name() + " failed: "
            + e.getMessage(), e);
      }
    }
    return -1;
  }

  public Started get(String name) {
    Started target = started.get(name);
    if (target == null) {
      throw new IllegalArgumentException(name + " was not started");
    }
    return target;
  }

  /**
   * The JVMs that serve a call to {@code name}: its own, then those of the targets it needs, transitively (the edge's,
   * then user-service's behind it), so that a side's server CPU counts every hop.
   */
  public List<Long> jvmsServing(String name) {
    List<Long> pids = new ArrayList<>();
    addJvms(get(name), pids);
    return List.copyOf(pids);
  }

  private void addJvms(Started target, List<Long> pids) {
    if (!pids.contains(target.pid())) {
      pids.add(target.pid());
      target.profile().needs().forEach(need -> addJvms(get(need), pids));
    }
  }

  public List<Started> all() {
    return List.copyOf(started.values());
  }

  /** The pools the targets' profiles filled. */
  public Map<String, List<String>> pools() {
    return Map.copyOf(pools);
  }

  /** The receiver of exported spans, when a target traces. */
  public Optional<OtlpReceiver> otlpReceiver() {
    return Optional.ofNullable(receiver);
  }

  /**
   * The shards' postmasters (their command line names a data directory under this run's shards; pg_ctl detaches
   * them from the bench): the roots of the database's process trees, see {@link ProcessCpu#ofTrees}.
   */
  public List<Long> databaseRoots() {
    if (shards == null) {
      return List.of();
    }
    String dir = shards.stateDirectory().toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(dir) && c.contains("postgres")).orElse(false))
        .filter(p -> p.parent().map(parent -> !parent.info().commandLine().orElse("").contains(dir)).orElse(true))
        .map(ProcessHandle::pid)
        .toList();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the targets (gracefully, in reverse order), then the receiver and the shards. */
  @Override
  public synchronized void close() throws InterruptedException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // called from the hook
    }
    for (int i = jvms.size() - 1; i >= 0; i--) {
      jvms.get(i).close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (shards != null) {
      shards.close();
    }
  }
}
