package dev.trellis.bench.report;

import static dev.trellis.bench.report.ReportFixtures.recording;
import static dev.trellis.bench.report.ReportFixtures.side;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.bench.measure.Recording;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.json holds every figure under stable names; report.html draws both plots with nothing fetched. */
class ReportWriterTest {
  @TempDir
  Path dir;

  private static BenchReport report() {
    Recording load = recording(1_000_000_000_000L, 3, 1000, 2_000);
    Recording baseline = recording(1_000_004_000_000L, 3, 3000, 300);
    return new BenchReport(BenchReport.SCHEMA, "GetUser vs pgbench", "2026-11-29T00:00:00Z", 12,
        "./trellis bench --call 'GetUser {}'", new BenchReport.Machine(2, 24L << 30, "cpu", "Linux", "JDK 25",
        "host", 1.5, 2.5), new BenchReport.Settings("closed loop, 32 in flight", "fixed 10 s", 1, 3, 0, 2),
        List.of(new BenchReport.Target("user-service", "127.0.0.1:1", "Main", 4.2,
            Map.of("TRELLIS_RATE_LIMIT_PEER", "1000000000/1000000000"), Map.of(), List.of())),
        List.of(side("GetUser", "load", load), side("pgbench-point-read", "baseline", baseline)),
        List.of(BenchReport.Ratio.of("GetUser", "pgbench-point-read", "calls/s",
            load.callsPerSecond() / baseline.callsPerSecond(), List.of(0.33))),
        List.of("rate limits raised"));
  }

  @Test
  void theJsonHoldsEveryFigureUnderStableNamesAndReadsBack() throws Exception {
    BenchReport report = report();
    ReportWriter.write(report, dir);

    JsonNode json = new ObjectMapper().readTree(dir.resolve(ReportWriter.JSON).toFile());
    assertThat(json.get("schema").asText()).isEqualTo("trellis-bench/1");
    assertThat(json.get("command").asText()).startsWith("./trellis bench");
    assertThat(json.get("machine").get("cores").asInt()).isEqualTo(2);
    JsonNode load = json.get("sides").get(0);
    assertThat(load.get("name").asText()).isEqualTo("GetUser");
    assertThat(load.get("total").get("calls").asLong()).isEqualTo(3001);
    assertThat(load.get("total").get("errors").asLong()).isEqualTo(1);
    assertThat(load.get("total").get("statuses").get("UNAVAILABLE").asLong()).isEqualTo(1);
    JsonNode latency = load.get("total").get("latencyMicros");
    for (String field : List.of("p50", "p90", "p99", "p999", "max", "mean", "count")) {
      assertThat(latency.has(field)).as(field).isTrue();
    }
    assertThat(latency.get("max").asLong()).isBetween(249_000L, 251_000L);
    assertThat(load.get("timeline")).hasSize(3);
    assertThat(load.get("timeline").get(0).get("calls").asLong()).isEqualTo(1000);
    assertThat(load.get("percentiles").get(load.get("percentiles").size() - 1).get("percentile").asDouble())
        .isEqualTo(100.0);
    assertThat(load.get("cpu").get("targetMicrosPerCall").asDouble()).isEqualTo(150.0);
    assertThat(load.get("probes").get(0).get("status").asText()).isEqualTo("OK, 1 response");
    assertThat(json.get("ratios").get(0).get("value").asDouble()).isBetween(0.33, 0.34);
    assertThat(json.get("targets").get(0).get("rateLimits").get("TRELLIS_RATE_LIMIT_PEER").asText())
        .isEqualTo("1000000000/1000000000");

    assertThat(ReportWriter.read(dir.resolve(ReportWriter.JSON)).sides().get(1).total().calls()).isEqualTo(9001);
  }

  @Test
  void theHtmlDrawsTheLatencyPercentilePlotAndTheThroughputPlotOnOnePageWithNothingFetched() throws Exception {
    ReportWriter.write(report(), dir);
    String html = Files.readString(dir.resolve(ReportWriter.HTML));

    List<String> svgs = all(Pattern.compile("(?s)<svg.*?</svg>"), html);
    assertThat(svgs).hasSize(2);
    assertThat(svgs.get(0)).contains("Latency by percentile").contains("99.9%");
    assertThat(svgs.get(1)).contains("Throughput over time");
    for (String svg : svgs) {
      assertThat(svg).contains("GetUser").contains("pgbench-point-read");
      assertThat(all(Pattern.compile("<polyline "), svg)).hasSizeGreaterThanOrEqualTo(2);
    }
    // One line per side with a point per percentile step; the throughput line has a point per second.
    assertThat(all(Pattern.compile("<title>GetUser: p[0-9.]+ = [0-9.]+(us|ms)</title>"), svgs.get(0)))
        .hasSizeGreaterThan(20);
    assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("src=\"http");
    assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http://").doesNotContain(
        "https://");
    assertThat(html).contains("0.33").contains("GetUser / pgbench-point-read").contains("rate limits raised")
        .contains("TRELLIS_RATE_LIMIT_PEER=1000000000/1000000000");
  }

  @Test
  void theTerminalSummaryListsEverySideAndTheRatio() {
    String text = ReportWriter.text(report());
    assertThat(text).contains("GetUser").contains("pgbench-point-read")
        .contains("ratio GetUser / pgbench-point-read (calls/s): 0.33");
  }

  private static List<String> all(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    List<String> found = new java.util.ArrayList<>();
    while (m.find()) {
      found.add(m.group());
    }
    return found;
  }
}
