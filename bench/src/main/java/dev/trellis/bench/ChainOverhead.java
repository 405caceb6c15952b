package dev.trellis.bench;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.AuthInterceptor;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.ratelimit.RateLimit;
import dev.trellis.platform.ratelimit.RateLimitConfig;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What the platform's interceptor chain costs: unary QPS and latency of the same trivial handler on a bare grpc-java
 * Netty server (default executor, and virtual threads like the platform), on a {@link TrellisServer} with the whole
 * chain (tracing off, the default), and on one with tracing on, measured by one closed-loop client over loopback,
 * the servers taking turns round after round in one run (the machine is noisy, so only ratios within a run mean
 * anything).
 *
 * <pre>
 * ./trellis mvn -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.ChainOverhead [--round=5s] [--rounds=4] [--warmup=10s] [--in-flight=32] > /dev/null
 * </pre>
 *
 * Any JDK 21+ {@code java}. The report goes to stderr; stdout carries the servers' access log (one JSON line per
 * call, part of the measured cost), hence {@code > /dev/null}.
 */
public final class ChainOverhead {
  private static final RateLimit UNLIMITED = new RateLimit(1_000_000_000, 1_000_000_000);

  private ChainOverhead() {}

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.of(Map.of(), args);
    Duration round = settings.duration("TRELLIS_ROUND", Duration.ofSeconds(5));
    int rounds = settings.integer("TRELLIS_ROUNDS", 4, 1, 100);
    Duration warmup = settings.duration("TRELLIS_WARMUP", Duration.ofSeconds(10));
    int inFlight = settings.integer("TRELLIS_IN_FLIGHT", 32, 1, 10_000);
    settings.rejectUnknownFlags();

    AuthConfig auth = AuthConfig.dev(Files.createTempDirectory("trellis-bench").resolve("dev-jwt-key.json"));
    String token = DevTokens.create(auth, Clock.systemUTC()).mint("1", Set.of(Principal.USER), Duration.ofHours(4));
    // The limiters run their buckets on every call, as in production, but never refuse one here.
    RateLimitConfig limits = new RateLimitConfig(Optional.of(UNLIMITED), List.of(),
        Map.of(Principal.USER, UNLIMITED), Map.of());
    // The span queue sized for tens of thousands of spans a second: with the SDK default (2048 spans) it
    // overflowed here and the SDK dropped spans, which would make tracing look cheaper than it is.
    Telemetry tracing = Telemetry.configure("bench", Map.of("otel.sdk.disabled", "false",
        "otel.traces.exporter", "discard", "otel.metrics.exporter", "discard",
        "otel.bsp.max.queue.size", "65536", "otel.bsp.schedule.delay", "200"));

    List<Target> targets = new ArrayList<>();
    targets.add(new Target("bare grpc-java", NettyServerBuilder.forPort(0).addService(new EchoService()).build()
        .start(), token, inFlight));
    // The platform runs handlers on virtual threads; this one separates what that changes from the chain's cost.
    targets.add(new Target("bare, virtual th.", NettyServerBuilder.forPort(0)
        .executor(Executors.newVirtualThreadPerTaskExecutor())
        .addService(new EchoService()).build().start(), token, inFlight));
    targets.add(new Target("trellis chain", trellis(auth, limits, Telemetry.off()), token, inFlight));
    targets.add(new Target("chain + tracing", trellis(auth, limits, tracing), token, inFlight));

    PrintStream out = System.err;
    out.printf(Locale.ROOT, "warming up %s per server...%n", warmup);
    for (Target target : targets) {
      target.load.run(warmup);
    }
    for (int i = 1; i <= rounds; i++) {
      for (Target target : targets) {
        ClosedLoopLoad.Round result = target.load.run(round);
        target.rounds.add(result);
        out.printf(Locale.ROOT, "round %d  %-17s %9.0f qps%n", i, target.name, result.qps());
      }
    }
    report(out, targets, round, rounds, inFlight);
    for (Target target : targets) {
      target.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      target.server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    tracing.close();
    System.exit(0);
  }

  private static TrellisServer trellis(AuthConfig auth, RateLimitConfig limits, Telemetry telemetry)
      throws IOException {
    return TrellisServer.builder(ServerConfig.defaults().withPort(0))
        .auth(auth)
        .rateLimits(limits)
        .telemetry(telemetry)
        .addUndeclaredService(new EchoService())
        .build()
        .start();
  }

  private static void report(PrintStream out, List<Target> targets, Duration round, int rounds, int inFlight) {
    Target bare = targets.get(0);
    double bareQps = ClosedLoopLoad.Summary.of(bare.rounds).qps();
    double bareVirtualQps = ClosedLoopLoad.Summary.of(targets.get(1).rounds).qps();
    out.println();
    out.printf(Locale.ROOT, "%d cores, Java %s (%s), %s; %d rounds of %s per server, alternating; %d in flight%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        System.getProperty("java.vendor"), System.getProperty("os.name"), rounds, round, inFlight);
    out.printf(Locale.ROOT, "%-17s %9s %8s %8s %8s %8s %10s  %s%n",
        "server", "qps", "p50 us", "p99 us", "failed", "vs bare", "vs bare vt", "vs bare, per round");
    for (Target target : targets) {
      ClosedLoopLoad.Summary summary = ClosedLoopLoad.Summary.of(target.rounds);
      List<String> perRound = new ArrayList<>();
      for (int i = 0; i < target.rounds.size(); i++) {
        perRound.add(String.format(Locale.ROOT, "%.2f", target.rounds.get(i).qps() / bare.rounds.get(i).qps()));
      }
      out.printf(Locale.ROOT, "%-17s %9.0f %8d %8d %8d %8.2f %10.2f  %s%n",
          target.name, summary.qps(), summary.p50(), summary.p99(), summary.failures(), summary.qps() / bareQps,
          summary.qps() / bareVirtualQps, perRound);
    }
  }

  /** One server under test, with its own client channel. */
  private static final class Target {
    final String name;
    final Server server;
    final ManagedChannel channel;
    final ClosedLoopLoad load;
    final List<ClosedLoopLoad.Round> rounds = new ArrayList<>();

    Target(String name, Server server, String token, int inFlight) {
      this.name = name;
      this.server = server;
      // The same client for every server, token included (the bare server ignores it): only the servers differ.
      Metadata headers = new Metadata();
      headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
      this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
          .usePlaintext()
          .directExecutor()
          .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
          .build();
      this.load = ClosedLoopLoad.echo(channel, inFlight);
    }
  }
}
