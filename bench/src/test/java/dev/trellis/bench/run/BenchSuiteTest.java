package dev.trellis.bench.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.bench.report.BenchReport;
import dev.trellis.bench.report.ReportFixtures;
import dev.trellis.bench.targets.BenchConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The suite's configuration and bookkeeping: what it runs exists, goals are read, the page keeps its text. */
class BenchSuiteTest {
  @TempDir
  Path dir;

  @Test
  void everySuiteStepNamesKnownTargetsBaselinesAndFigures() throws Exception {
    BenchSuite.Suite suite = BenchSuite.load();
    BenchConfig config = BenchConfig.packaged();
    assertThat(suite.steps()).extracting(BenchSuite.Step::name)
        .contains("chain", "getuser", "edge", "edge-latency", "listusers", "data-layer", "startup", "order-service");
    for (BenchSuite.Step step : suite.steps()) {
      assertThat(step.figures()).as(step.name()).isNotEmpty();
      if (step.kind().equals("main")) {
        assertThat(Class.forName(step.main()).getMethod("main", String[].class)).as(step.name()).isNotNull();
      }
      if (step.kind().equals("bench")) {
        BenchOptions options = BenchOptions.parse(step.args().toArray(String[]::new), dir);
        options.local().ifPresent(config::target);
        options.baselines().forEach(config::baseline);
        List<String> sides = new java.util.ArrayList<>(List.of(options.name()));
        sides.addAll(options.baselines());
        for (BenchSuite.Figure figure : step.figures()) {
          if (figure.ratio() != null) {
            // A side over a baseline listed after it: the ratios a run prints.
            assertThat(sides.indexOf(figure.ratio().get(0))).as(figure.row())
                .isNotNegative().isLessThan(sides.indexOf(figure.ratio().get(1)));
          }
          if (figure.difference() != null) {
            assertThat(sides).as(figure.row()).containsAll(figure.difference());
            assertThat(figure.metric()).as(figure.row()).isIn("p50", "p99");
          }
        }
      }
    }
  }

  @Test
  void everyTargetsMainClassIsOnTheBenchsClasspath() throws Exception {
    for (var target : BenchConfig.packaged().targets().entrySet()) {
      assertThat(Class.forName(target.getValue().main()).getMethod("main", String[].class))
          .as(target.getKey()).isNotNull();
    }
  }

  @Test
  void goalsAreMetOrMissedAsWritten() {
    assertThat(BenchSuite.verdict(">= 0.85", 0.86)).isEqualTo("met");
    assertThat(BenchSuite.verdict(">= 0.85", 0.84)).isEqualTo("missed");
    assertThat(BenchSuite.verdict("<= 1.3", 1.3)).isEqualTo("met");
    assertThat(BenchSuite.verdict("< 10", 10.0)).isEqualTo("missed");
    assertThat(BenchSuite.verdict(">= 150,000", 160_000)).isEqualTo("met");
    assertThat(BenchSuite.verdict(">= 0.60, added p99 < 1 ms", 0.7)).isEqualTo("met");
    assertThat(BenchSuite.verdict("", 1)).isEmpty();
  }

  @Test
  void theTableReplacesTheBlockBetweenTheMarkersAndKeepsTheRestOfThePage() throws Exception {
    Path page = dir.resolve("BENCHMARKS.md");
    Files.writeString(page, "# Benchmarks\nintro\n\n" + BenchSuite.BEGIN + "\nold table\n" + BenchSuite.END
        + "\n\n## Why\nkept\n");
    BenchSuite.replaceBlock(page, BenchSuite.BEGIN + "\nnew table\n" + BenchSuite.END + "\n");
    assertThat(Files.readString(page)).isEqualTo("# Benchmarks\nintro\n\n" + BenchSuite.BEGIN + "\nnew table\n"
        + BenchSuite.END + "\n\n## Why\nkept\n");
  }

  @Test
  void aFigureFromAStepsJsonShowsTheOtherFiguresAsDetail() {
    BenchSuite.Row row = BenchSuite.fromKey(new BenchSuite.Figure("page", null, null, null, null, "page4over1P50",
        "<= 1.3", null), Map.of("page4over1P50", 2.21, "page1P50Micros", 313, "command", "x"));
    assertThat(row.measured()).isEqualTo("**2.21**");
    assertThat(row.verdict()).isEqualTo("missed");
    assertThat(row.detail()).isEqualTo("page1P50Micros 313");
  }

  @Test
  void aLatencyDifferenceIsWhatOneSideAddsToTheOthersPercentileInMilliseconds() {
    BenchReport.Side edge = ReportFixtures.side("rest-via-edge", "load",
        ReportFixtures.recording(1_000_000_000_000L, 3, 1000, 2_400));
    BenchReport.Side direct = ReportFixtures.side("getuser-direct", "baseline",
        ReportFixtures.recording(1_000_004_000_000L, 3, 1000, 1_000));
    BenchSuite.Figure figure = new BenchSuite.Figure("added p99", null, List.of("rest-via-edge", "getuser-direct"),
        null, "p99", null, "< 1 ms", null);

    BenchSuite.Row row = BenchSuite.latencyDifference(figure, edge, direct);

    // 2,400-2,499 us against 1,000-1,099 us: 1.4 ms more at p99, which misses "< 1 ms".
    assertThat(row.measured()).isEqualTo("**+1.40 ms**");
    assertThat(row.verdict()).isEqualTo("missed");
    assertThat(row.detail()).startsWith("p99 added per round (ms): +1.40; rest-via-edge 1,000/s")
        .contains("getuser-direct 1,000/s").contains("CPU per call: rest-via-edge server 150 us");
  }
}
