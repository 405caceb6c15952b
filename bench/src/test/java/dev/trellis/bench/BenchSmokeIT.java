package dev.trellis.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.bench.engine.ExternalEngines;
import dev.trellis.bench.report.BenchReport;
import dev.trellis.bench.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./trellis bench} end to end, small and bounded by count (no speed asserted): it starts its targets in JVMs
 * of their own, loads them, and writes a report whose counts are the calls made.
 */
class BenchSmokeIT {
  @TempDir
  Path out;

  @Test
  void getUserWithTheJavaEngineAgainstALocallyStartedUserServiceOnSeededShards() throws Exception {
    int code = BenchMain.run(new String[] {"--local", "user-service", "--seed", "200",
        "--call", "trellis.user.v1.UserService/GetUser {\"id\":\"${user_id}\"}", "--baseline", "getuser-floor",
        "--baseline", "getuser-floor-blocking", "--count", "300", "--rounds", "1", "--in-flight", "8", "--connections", "2", "--warmup", "off",
        "--progress", "off", "--target-jvm", "-XX:+UseSerialGC", "--out", out.toString()}, out);

    assertThat(code).isZero();
    BenchReport report = ReportWriter.read(out.resolve(ReportWriter.JSON));
    assertThat(report.sides()).extracting(BenchReport.Side::name).hasSize(3)
        .endsWith("getuser-floor", "getuser-floor-blocking");
    // The floors (bare grpc-java and raw JDBC) read user-service's rows and answer as the service does.
    for (BenchReport.Side floor : report.sides().subList(1, 3)) {
      assertThat(floor.total().statuses()).as(floor.name()).containsExactlyEntriesOf(java.util.Map.of("OK", 300L));
      assertThat(floor.probes()).extracting(BenchReport.Probe::ok).containsExactly(true, true);
    }
    BenchReport.Side side = report.sides().get(0);
    assertThat(side.engine()).isEqualTo("java");
    assertThat(side.total().calls()).isEqualTo(300);
    assertThat(side.total().errors()).isZero();
    assertThat(side.total().statuses()).containsExactlyEntriesOf(java.util.Map.of("OK", 300L));
    assertThat(side.total().latencyMicros().count()).isEqualTo(300);
    assertThat(side.timeline().stream().mapToLong(s -> s.calls()).sum()).isEqualTo(300);
    assertThat(side.probes()).extracting(BenchReport.Probe::ok).containsExactly(true, true);
    assertThat(report.targets()).extracting(BenchReport.Target::name).containsExactly("user-service", "getuser-floor",
        "getuser-floor-blocking");
    assertThat(report.targets()).first().satisfies(t -> {
      assertThat(t.name()).isEqualTo("user-service");
      assertThat(t.rateLimits()).containsEntry("TRELLIS_RATE_LIMIT_ADMIN", "1000000000/1000000000");
      assertThat(t.jvm()).containsExactly("-XX:+UseSerialGC");
    });
    assertThat(report.notes()).anyMatch(n -> n.contains("rate limits of user-service raised"));
    assertThat(Files.readString(out.resolve(ReportWriter.HTML))).contains("Latency by percentile")
        .contains("Throughput over time");
  }

  @Test
  void theChainWithTracingOffAndOnAgainstBareGrpcJavaWithH2loadInAlternatingRounds() throws Exception {
    assertThat(ExternalEngines.find("h2load")).as(ExternalEngines.INSTALL).isPresent();
    int code = BenchMain.run(new String[] {"--local", "echo-chain", "--name", "chain",
        "--call", "grpc.testing.SimpleService/UnaryRpc {\"requestMessage\":\"ping\"}", "--engine", "h2load",
        "--baseline", "chain-tracing", "--baseline", "bare-grpc-vt-tracing", "--baseline", "bare-grpc",
        "--count", "400", "--rounds", "2", "--in-flight", "4", "--connections", "2",
        "--warmup", "off", "--progress", "off", "--out", out.toString()}, out);

    assertThat(code).isZero();
    BenchReport report = ReportWriter.read(out.resolve(ReportWriter.JSON));
    assertThat(report.sides()).extracting(BenchReport.Side::name)
        .containsExactly("chain", "chain-tracing", "bare-grpc-vt-tracing", "bare-grpc");
    for (BenchReport.Side side : report.sides()) {
      assertThat(side.engine()).isEqualTo("h2load");
      assertThat(side.rounds()).hasSize(2);
      assertThat(side.total().calls()).as(side.name()).isEqualTo(400);
      assertThat(side.total().statuses()).containsOnlyKeys("HTTP 200");
      assertThat(side.probes()).extracting(BenchReport.Probe::status)
          .containsExactly("OK, 1 response", "OK, 1 response");
      assertThat(side.command()).startsWith("h2load -d ").contains("content-type: application/grpc");
    }
    // Each side over every baseline listed after it.
    assertThat(report.ratios()).extracting(r -> r.side() + "/" + r.baseline())
        .containsExactly("chain/chain-tracing", "chain/bare-grpc-vt-tracing", "chain-tracing/bare-grpc-vt-tracing",
            "chain/bare-grpc", "chain-tracing/bare-grpc", "bare-grpc-vt-tracing/bare-grpc");
    assertThat(report.ratios()).allSatisfy(r -> {
      assertThat(r.perRound()).hasSize(2);
      assertThat(r.value()).isPositive();
    });
    // The traced targets (the chain, and bare grpc-java with tracing alone) exported their spans over OTLP to the
    // bench's counting receiver, and the report says so.
    for (int traced : new int[] {1, 2}) {
      assertThat(report.sides().get(traced).notes()).as(report.sides().get(traced).name())
          .anyMatch(n -> n.matches("tracing: the bench's OTLP receiver got [1-9][0-9,]* spans .*"));
    }
  }

  @Test
  void restThroughTheEdgeAgainstGetUserDirectWithH2loadOverH2cInAlternatingRounds() throws Exception {
    assertThat(ExternalEngines.find("h2load")).as(ExternalEngines.INSTALL).isPresent();
    int code = BenchMain.run(new String[] {"--local", "edge-proxy", "--name", "rest-via-edge", "--seed", "200",
        "--call", "GET /v1/users/${user_id}", "--engine", "h2load", "--http-version", "2",
        "--baseline", "getuser-direct", "--count", "400", "--rounds", "2", "--in-flight", "4", "--connections", "2",
        "--warmup", "off", "--progress", "off", "--out", out.toString()}, out);

    assertThat(code).isZero();
    BenchReport report = ReportWriter.read(out.resolve(ReportWriter.JSON));
    // The edge needs user-service: both run, each in its JVM, the edge pointed at the service's port.
    assertThat(report.targets()).extracting(BenchReport.Target::name).containsExactly("user-service", "edge-proxy");
    String userService = report.targets().get(0).address();
    assertThat(report.targets().get(1).env()).containsEntry("TRELLIS_EDGE_UPSTREAMS",
        "trellis.user.v1.UserService=" + userService);
    assertThat(report.sides()).extracting(BenchReport.Side::name).containsExactly("rest-via-edge", "getuser-direct");
    BenchReport.Side rest = report.sides().get(0);
    assertThat(rest.engine()).isEqualTo("h2load h2c");
    assertThat(rest.command()).doesNotContain("--h1").contains("-c 2 -m 2").contains("/v1/users/");
    // 200 is the user the service found through the edge (a wrong id or token would be 404 or 401).
    assertThat(rest.total().statuses()).containsExactlyEntriesOf(java.util.Map.of("HTTP 200", 400L));
    BenchReport.Side direct = report.sides().get(1);
    assertThat(direct.command()).contains("content-type: application/grpc").contains("-c 2 -m 2")
        .contains("/trellis.user.v1.UserService/GetUser");
    assertThat(direct.total().statuses()).containsExactlyEntriesOf(java.util.Map.of("HTTP 200", 400L));
    assertThat(direct.probes()).extracting(BenchReport.Probe::ok).containsExactly(true, true);
    assertThat(report.ratios()).singleElement().satisfies(r -> {
      assertThat(r.side()).isEqualTo("rest-via-edge");
      assertThat(r.baseline()).isEqualTo("getuser-direct");
      assertThat(r.perRound()).hasSize(2);
    });
  }
}
