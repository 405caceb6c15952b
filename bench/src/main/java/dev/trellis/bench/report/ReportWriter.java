package dev.trellis.bench.report;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.trellis.bench.measure.Recording;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/** Writes a run's report.json and report.html, and the summary printed on the terminal. */
public final class ReportWriter {
  public static final String JSON = "report.json";
  public static final String HTML = "report.html";

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ReportWriter() {}

  public static void write(BenchReport report, Path dir) throws IOException {
    requireNonNull(report, "report");
    Files.createDirectories(dir);
    MAPPER.writeValue(dir.resolve(JSON).toFile(), report);
    Files.writeString(dir.resolve(HTML), ReportHtml.render(report), StandardCharsets.UTF_8);
  }

  /** Reads a report.json back (the suite and the tests do). */
  public static BenchReport read(Path file) throws IOException {
    return MAPPER.readValue(file.toFile(), BenchReport.class);
  }

  /** The totals of a recording as the report shows them. */
  public static BenchReport.Summary summary(Recording r) {
    Histogram h = r.latencyMicros();
    return new BenchReport.Summary(r.calls(), r.errors(), r.seconds(), r.callsPerSecond(), r.messagesPerSecond(),
        new BenchReport.Latency(r.percentile(50), r.percentile(90), r.percentile(99), r.percentile(99.9),
            h.getTotalCount() == 0 ? 0 : h.getMaxValue(), h.getTotalCount() == 0 ? 0 : h.getMean(),
            h.getTotalCount()),
        r.statuses());
  }

  /**
   * The latency-by-percentile curve: HdrHistogram's percentile iteration (5 ticks per half distance), up to the
   * percentile that still holds at least one value, and the maximum as 100%.
   */
  public static List<BenchReport.Point> percentiles(Recording r) {
    Histogram h = r.latencyMicros();
    List<BenchReport.Point> points = new ArrayList<>();
    if (h.getTotalCount() == 0) {
      return points;
    }
    for (HistogramIterationValue v : h.percentiles(5)) {
      double p = v.getPercentileLevelIteratedTo();
      if (p >= 100) {
        break;
      }
      points.add(new BenchReport.Point(p, h.highestEquivalentValue(v.getValueIteratedTo())));
    }
    points.add(new BenchReport.Point(100, h.getMaxValue()));
    return points;
  }

  /** The figures as a plain-text table, for the terminal. */
  public static String text(BenchReport report) {
    StringBuilder t = new StringBuilder();
    t.append(report.title()).append('\n');
    t.append(String.format(Locale.ROOT, "%d cores, %s; %s; %d round%s per side%n", report.machine().cores(),
        report.machine().java(), report.settings().model(), report.settings().rounds(),
        report.settings().rounds() == 1 ? "" : "s"));
    t.append(String.format(Locale.ROOT, "%-26s %-9s %11s %9s %9s %9s %9s %9s %8s  %s%n", "side", "engine",
        "calls/s", "p50", "p90", "p99", "p99.9", "max", "errors", "CPU us/call (generator, target, db)"));
    for (BenchReport.Side s : report.sides()) {
      BenchReport.Latency l = s.total().latencyMicros();
      t.append(String.format(Locale.ROOT, "%-26s %-9s %,11.0f %9s %9s %9s %9s %9s %,8d  %s%n", cut(s.name(), 26),
          cut(s.engine(), 9), s.total().callsPerSecond(), ms(l.p50()), ms(l.p90()), ms(l.p99()), ms(l.p999()),
          ms(l.max()), s.total().errors(), cpu(s.cpu())));
      if (s.total().messagesPerSecond() > s.total().callsPerSecond() * 1.01) {
        t.append(String.format(Locale.ROOT, "%-26s %,21.0f messages/s%n", "", s.total().messagesPerSecond()));
      }
    }
    for (BenchReport.Ratio r : report.ratios()) {
      t.append(String.format(Locale.ROOT, "ratio %s / %s (%s): %.2f   per round: %s (median %.2f)%n", r.side(),
          r.baseline(), r.measure(), r.value(), String.join(" ", r.perRound().stream()
              .map(v -> String.format(Locale.ROOT, "%.2f", v)).toList()), r.median()));
    }
    for (BenchReport.Side s : report.sides()) {
      for (BenchReport.Probe p : s.probes()) {
        if (!p.ok()) {
          t.append("probe ").append(p.when()).append(' ').append(s.name()).append(": ").append(p.status())
              .append('\n');
        }
      }
    }
    return t.toString();
  }

  static String ms(long micros) {
    if (micros < 1000) {
      return micros + "us";
    }
    return micros < 100_000 ? String.format(Locale.ROOT, "%.2fms", micros / 1000.0)
        : String.format(Locale.ROOT, "%.0fms", micros / 1000.0);
  }

  static String cpu(BenchReport.Cpu c) {
    return String.format(Locale.ROOT, "%s, %s, %s", us(c.generatorMicrosPerCall()), us(c.targetMicrosPerCall()),
        us(c.databaseMicrosPerCall()));
  }

  private static String us(double v) {
    return v < 0 ? "-" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static String cut(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }
}
