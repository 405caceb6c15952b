package dev.trellis.bench.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.bench.measure.LogRecorder;
import dev.trellis.bench.measure.Recording;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parsers of h2load's and pgbench's output, against outputs captured from real runs on this machine. */
class EngineOutputTest {
  private static String sample(String name) throws IOException {
    try (InputStream in = EngineOutputTest.class.getResourceAsStream("/engine-output/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void h2loadsTimedSummaryIsRead() throws IOException {
    H2loadOutput out = H2loadOutput.parse(sample("h2load-timed.out"));
    assertThat(out.seconds()).isEqualTo(5.01);
    assertThat(out.requestsPerSecond()).isEqualTo(3606.40);
    assertThat(out.total()).isEqualTo(18032);
    assertThat(out.done()).isEqualTo(18032);
    assertThat(out.succeeded()).isEqualTo(18032);
    assertThat(out.failed()).isZero();
    assertThat(out.status2xx()).isEqualTo(18032);
  }

  @Test
  void h2loadsCountedSummaryTimesInMilliseconds() throws IOException {
    H2loadOutput out = H2loadOutput.parse(sample("h2load-count.out"));
    assertThat(out.seconds()).isCloseTo(0.48026, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(out.total()).isEqualTo(40);
  }

  @Test
  void withoutASummaryTheEndOfTheOutputIsQuoted() {
    assertThatThrownBy(() -> H2loadOutput.parse("connect to 127.0.0.1:1 failed: Connection refused"))
        .hasMessageContaining("no summary").hasMessageContaining("Connection refused");
    assertThatThrownBy(() -> PgbenchOutput.parse("pgbench: error: connection refused"))
        .hasMessageContaining("no summary").hasMessageContaining("connection refused");
  }

  @Test
  void h2loadsRequestLogBecomesTheSameRecordingAsTheJavaLoads() throws IOException {
    // Captured: 3 echo calls, then 5 calls of a method the server does not implement: gRPC answers those with
    // HTTP 200 and grpc-status 12 in the trailers, and h2load logs 200, which is why the bench probes.
    List<String> lines = sample("h2load-requests.log").lines().toList();
    long origin = Long.parseLong(lines.get(0).split("\t")[0]);
    LogRecorder recorder = new LogRecorder(origin, 0);
    lines.forEach(line -> assertThat(H2loadOutput.addLogLine(line, recorder)).isTrue());
    assertThat(H2loadOutput.addLogLine("not a log line", recorder)).isFalse();
    Recording r = recorder.finish(1, origin + 1_000_000);

    assertThat(r.calls()).isEqualTo(8);
    assertThat(r.errors()).isZero();
    assertThat(r.statuses()).containsExactlyEntriesOf(java.util.Map.of("HTTP 200", 8L));
    assertThat(r.latencyMicros().getMinValue()).isEqualTo(1_739L); // the fastest line
    assertThat(r.latencyMicros().getMaxValue()).isBetween(381_000L, 382_000L);
  }

  @Test
  void pgbenchsSummaryIsRead() throws IOException {
    PgbenchOutput out = PgbenchOutput.parse(sample("pgbench.out"));
    assertThat(out.processed()).isEqualTo(125_558);
    assertThat(out.failed()).isZero();
    assertThat(out.tps()).isEqualTo(25710.737312);
    assertThat(out.latencyAverageMillis()).isEqualTo(1.245);
    assertThat(PgbenchOutput.parse(sample("pgbench-rate.out")).processed()).isEqualTo(68);
  }

  @Test
  void pgbenchsTransactionLogGivesEndTimesAndLatencies() throws IOException {
    LogRecorder recorder = new LogRecorder(1_795_967_364_000_000L, 0);
    for (String line : sample("pgbench-transactions.log").lines().toList()) {
      assertThat(PgbenchOutput.addLogLine(line, false, recorder)).isTrue();
    }
    Recording r = recorder.finish(1, 1_795_967_365_000_000L);
    assertThat(r.calls()).isEqualTo(6);
    assertThat(r.latencyMicros().getMaxValue()).isBetween(4_080L, 4_090L);
    assertThat(r.timeline()).hasSize(1);
    assertThat(r.timeline().get(0).calls()).isEqualTo(6);
  }

  @Test
  void underARateTheScheduleLagIsAddedSoLatencyCountsFromTheScheduledStart() throws IOException {
    // "0 1 2595 0 1795967364 813062 92": 2595 us in the transaction, 92 us late to start.
    LogRecorder recorder = new LogRecorder(1_795_967_364_000_000L, 0);
    String first = sample("pgbench-transactions-rate.log").lines().findFirst().orElseThrow();
    PgbenchOutput.addLogLine(first, true, recorder);
    assertThat(recorder.finish(1, 1_795_967_365_000_000L).latencyMicros().getMaxValue()).isBetween(2_685L,
        2_690L);
    LogRecorder failed = new LogRecorder(0, 0);
    assertThat(PgbenchOutput.addLogLine("3 17 failed 0 1795967364 813062", false, failed)).isTrue();
    assertThat(failed.finish(1, 2_000_000_000_000_000L).errors()).isEqualTo(1);
  }

  @Test
  void theLoadModelBecomesEngineArguments() {
    assertThat(H2loadLoad.modelArgs(LoadModel.closed(32, 4), Duration.ofSeconds(10), 0))
        .containsExactly("-t", "1", "-c", "4", "-m", "8", "-D", "10000ms");
    assertThat(H2loadLoad.modelArgs(LoadModel.open(2000, 64, 4), Duration.ofSeconds(10), 0))
        .containsSequence("--rps=500.000");
    assertThat(H2loadLoad.modelArgs(LoadModel.closed(8, 2), Duration.ZERO, 500))
        .containsSequence("-n", "500");
    // HTTP/1.1 does not pipeline: a connection per call in flight, each paced at its share of the rate.
    assertThat(H2loadLoad.modelArgs(LoadModel.closed(32, 4), true, Duration.ofSeconds(10), 0))
        .containsExactly("-t", "1", "-c", "32", "-m", "1", "-D", "10000ms");
    assertThat(H2loadLoad.modelArgs(LoadModel.open(2000, 64, 4), true, Duration.ofSeconds(10), 0))
        .containsSequence("-c", "64", "-m", "1", "--rps=31.250");
    assertThat(PgbenchLoad.modelArgs(LoadModel.closed(32, 4), Duration.ofMillis(9_600), 0))
        .containsExactly("-c", "32", "-j", "1", "-T", "10");
    assertThat(PgbenchLoad.modelArgs(LoadModel.open(1000, 16, 4), Duration.ZERO, 1600))
        .containsExactly("-c", "16", "-j", "1", "-R", "1000", "-t", "100");
  }

  @Test
  void aMissingEngineIsNamedWithItsPackageAndTheInstallLine() {
    assertThat(ExternalEngines.missing(List.of("sh", "no-such-engine-here"))).containsExactly(
        "no-such-engine-here");
    assertThat(ExternalEngines.missingMessage(List.of("h2load", "pgbench")))
        .isEqualTo("h2load (Debian nghttp2-client), pgbench (Debian postgresql-client) not found on the PATH;"
            + " install the load engines with: apt-get install nghttp2-client wrk postgresql-client");
  }
}
