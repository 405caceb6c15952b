package dev.trellis.bench.report;

import static dev.trellis.bench.report.SvgChart.escape;

import dev.trellis.bench.measure.Second;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * report.html: one self-contained page (inline CSS and SVG, nothing fetched) with the ratios up top, the latency
 * percentile plot and the throughput-over-time plot, then the tables and everything needed to trust them.
 */
final class ReportHtml {
  private ReportHtml() {}

  static String render(BenchReport r) {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(escape(r.title())).append("</title>\n<style>\n").append(CSS).append("</style></head><body>\n");
    h.append("<h1>").append(escape(r.title())).append("</h1>\n");
    BenchReport.Machine m = r.machine();
    h.append(String.format(Locale.ROOT, "<p class=\"sub\">%s &middot; %d cores (%s), %.1f GiB &middot; %s &middot;"
            + " %s &middot; load average %.1f at start, %.1f at end</p>%n", escape(r.startedAt()), m.cores(),
        escape(m.cpu()), m.memoryBytes() / (1024.0 * 1024 * 1024), escape(m.os()), escape(m.java()),
        m.loadAverageAtStart(), m.loadAverageAtEnd()));
    h.append("<pre class=\"cmd\">").append(escape(r.command())).append("</pre>\n");
    cards(h, r);
    h.append("<div class=\"charts\">\n");
    h.append(percentileChart(r.sides()));
    h.append(throughputChart(r.sides()));
    h.append("</div>\n");
    summaryTable(h, r);
    roundsTable(h, r);
    warmupTable(h, r);
    statusTable(h, r);
    details(h, r);
    h.append("</body></html>\n");
    return h.toString();
  }

  private static void cards(StringBuilder h, BenchReport r) {
    h.append("<div class=\"cards\">\n");
    if (r.ratios().isEmpty()) {
      BenchReport.Side s = r.sides().get(0);
      card(h, String.format(Locale.ROOT, "%,.0f", s.total().callsPerSecond()), "calls/s", s.name());
      if (s.total().messagesPerSecond() > s.total().callsPerSecond() * 1.01) {
        card(h, String.format(Locale.ROOT, "%,.0f", s.total().messagesPerSecond()), "messages/s", s.name());
      }
      card(h, ReportWriter.ms(s.total().latencyMicros().p50()), "p50", s.name());
      card(h, ReportWriter.ms(s.total().latencyMicros().p99()), "p99", s.name());
      card(h, String.format(Locale.ROOT, "%,d", s.total().errors()), "errors", "of "
          + String.format(Locale.ROOT, "%,d", s.total().calls()) + " calls");
    }
    for (BenchReport.Ratio ratio : r.ratios()) {
      card(h, String.format(Locale.ROOT, "%.2f", ratio.value()), escape(ratio.side()) + " / "
          + escape(ratio.baseline()), ratio.measure() + "; per round " + String.join(" ", ratio.perRound().stream()
          .map(v -> String.format(Locale.ROOT, "%.2f", v)).toList()) + String.format(Locale.ROOT, " (median %.2f)",
          ratio.median()));
    }
    h.append("</div>\n");
  }

  private static void card(StringBuilder h, String value, String label, String detail) {
    h.append("<div class=\"card\"><div class=\"value\">").append(escape(value)).append("</div><div class=\"label\">")
        .append(label).append("</div><div class=\"detail\">").append(escape(detail)).append("</div></div>\n");
  }

  static String percentileChart(List<BenchReport.Side> sides) {
    List<SvgChart.Series> series = new ArrayList<>();
    double min = Double.MAX_VALUE;
    double max = 0;
    int nines = 2;
    for (int i = 0; i < sides.size(); i++) {
      BenchReport.Side s = sides.get(i);
      List<double[]> points = new ArrayList<>();
      List<String> tips = new ArrayList<>();
      for (BenchReport.Point p : s.percentiles()) {
        double ms = Math.max(p.micros(), 1) / 1000.0;
        points.add(new double[] {p.percentile(), ms});
        tips.add(String.format(Locale.ROOT, "%s: p%s = %s", s.name(), trim(p.percentile()),
            ReportWriter.ms(p.micros())));
        min = Math.min(min, ms);
        max = Math.max(max, ms);
        if (p.percentile() < 100) {
          nines = Math.max(nines, (int) Math.min(5, Math.ceil(-Math.log10(1 - p.percentile() / 100) - 1e-9)));
        }
      }
      series.add(new SvgChart.Series(s.name(), color(i), points, false, Double.MAX_VALUE, tips));
    }
    if (series.stream().allMatch(s -> s.points().isEmpty())) {
      min = 0.1;
      max = 1;
    }
    return SvgChart.render("Latency by percentile", "percentile (log scale of nines)", "latency (ms, log)",
        SvgChart.percentile(nines), SvgChart.log(min, max, ReportHtml::msLabel), series, 760, 420);
  }

  static String throughputChart(List<BenchReport.Side> sides) {
    long origin = Long.MAX_VALUE;
    double top = 1;
    double end = 1;
    for (BenchReport.Side s : sides) {
      for (Second sec : concat(s.warmupTimeline(), s.timeline())) {
        origin = Math.min(origin, sec.startEpochMillis());
      }
    }
    List<SvgChart.Series> series = new ArrayList<>();
    for (int i = 0; i < sides.size(); i++) {
      BenchReport.Side s = sides.get(i);
      for (boolean warm : new boolean[] {true, false}) {
        List<Second> seconds = warm ? s.warmupTimeline() : s.timeline();
        if (seconds.isEmpty()) {
          continue;
        }
        List<double[]> points = new ArrayList<>();
        for (Second sec : seconds) {
          if (sec.millis() < 250) {
            continue; // the sliver at the end of a run: its rate is noise
          }
          double x = (sec.startEpochMillis() - origin) / 1000.0;
          double y = sec.rate();
          points.add(new double[] {x, y});
          top = Math.max(top, y);
          end = Math.max(end, x + 1);
        }
        series.add(new SvgChart.Series(s.name() + (warm ? " (warm-up)" : ""), color(i), points, warm, 2.5,
            List.of()));
      }
    }
    boolean messages = sides.stream().anyMatch(s -> s.total().messagesPerSecond()
        > s.total().callsPerSecond() * 1.01);
    return SvgChart.render("Throughput over time (each side's seconds; rounds alternate)", "seconds since start",
        messages ? "calls or messages per second" : "calls per second", SvgChart.linear(0, end, v ->
            String.format(Locale.ROOT, "%.0f", v)), SvgChart.linear(0, top * 1.05, ReportHtml::count), series, 760,
        420);
  }

  private static void summaryTable(StringBuilder h, BenchReport r) {
    h.append("<h2>Sides</h2>\n<table><tr><th>side</th><th>engine</th><th>calls/s</th><th>messages/s</th>"
        + "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>calls</th><th>errors</th>"
        + "<th>CPU µs/call: generator, target, database</th><th>cores: generator, target, database, machine</th>"
        + "</tr>\n");
    for (BenchReport.Side s : r.sides()) {
      BenchReport.Latency l = s.total().latencyMicros();
      BenchReport.Cpu c = s.cpu();
      h.append(String.format(Locale.ROOT, "<tr><td>%s <span class=\"role\">%s</span></td><td>%s</td>"
              + "<td class=\"n\">%,.0f</td><td class=\"n\">%,.0f</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
              + "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%,d</td>"
              + "<td class=\"n\">%,d</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>%n",
          escape(s.name()), s.role(), escape(s.engine()), s.total().callsPerSecond(), s.total().messagesPerSecond(),
          ReportWriter.ms(l.p50()), ReportWriter.ms(l.p90()), ReportWriter.ms(l.p99()), ReportWriter.ms(l.p999()),
          ReportWriter.ms(l.max()), s.total().calls(), s.total().errors(), ReportWriter.cpu(c),
          String.format(Locale.ROOT, "%s, %s, %s, %s", cores(c.generatorCores()), cores(c.targetCores()),
              cores(c.databaseCores()), cores(c.machineBusyCores()))));
    }
    h.append("</table>\n");
  }

  private static void roundsTable(StringBuilder h, BenchReport r) {
    h.append("<h2>Rounds</h2>\n<table><tr><th>round</th><th>side</th><th>started</th><th>seconds</th>"
        + "<th>calls/s</th><th>p50</th><th>p99</th><th>errors</th><th>target JIT cores</th></tr>\n");
    for (int round = 1; round <= r.settings().rounds(); round++) {
      for (BenchReport.Side s : r.sides()) {
        for (BenchReport.Round x : s.rounds()) {
          if (x.round() == round) {
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%s</td><td>%s</td><td class=\"n\">%.1f</td>"
                    + "<td class=\"n\">%,.0f</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%,d"
                    + "</td><td class=\"n\">%s</td></tr>%n", round, escape(s.name()), escape(x.startedAt()),
                x.seconds(), x.callsPerSecond(), ReportWriter.ms(x.p50Micros()), ReportWriter.ms(x.p99Micros()),
                x.errors(), cores(x.cpu().targetCompilerCores())));
          }
        }
      }
    }
    h.append("</table>\n");
  }

  private static void warmupTable(StringBuilder h, BenchReport r) {
    h.append("<h2>Warm-up</h2>\n<p>").append(escape(r.settings().warmup())).append("</p>\n<table><tr><th>side</th>"
        + "<th>seconds</th><th>verdict</th><th>calls/s per slice</th></tr>\n");
    for (BenchReport.Side s : r.sides()) {
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%.0f</td><td>%s</td><td>%s</td></tr>%n",
          escape(s.name()), s.warmup().seconds(), escape(s.warmup().verdict()), escape(String.join(" ",
              s.warmup().slices().stream().map(x -> String.format(Locale.ROOT, "%,.0f", x.callsPerSecond()))
                  .toList()))));
    }
    h.append("</table>\n");
  }

  private static void statusTable(StringBuilder h, BenchReport r) {
    h.append("<h2>Outcomes</h2>\n<table><tr><th>side</th><th>calls by status</th><th>probes (grpc-status read by"
        + " the bench's client)</th></tr>\n");
    for (BenchReport.Side s : r.sides()) {
      h.append("<tr><td>").append(escape(s.name())).append("</td><td>");
      for (Map.Entry<String, Long> e : s.total().statuses().entrySet()) {
        h.append(String.format(Locale.ROOT, "<span class=\"%s\">%s: %,d</span> ",
            e.getKey().equals("OK") || e.getKey().startsWith("HTTP 2") ? "ok" : "bad", escape(e.getKey()),
            e.getValue()));
      }
      h.append("</td><td>");
      for (BenchReport.Probe p : s.probes()) {
        h.append(String.format(Locale.ROOT, "<span class=\"%s\">%s: %s</span><br>", p.ok() ? "ok" : "bad",
            escape(p.when()), escape(p.status())));
      }
      h.append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void details(StringBuilder h, BenchReport r) {
    h.append("<h2>How it ran</h2>\n<p>").append(escape(r.settings().model())).append("; ")
        .append(r.settings().rounds()).append(" round(s) per side, ")
        .append(r.settings().roundCount() > 0 ? r.settings().roundCount() + " calls each"
            : String.format(Locale.ROOT, "%.0f s each, after %.0f s that run but are not measured (new connections,"
                + " an engine's new process)", r.settings().roundSeconds(), r.settings().settleSeconds()))
        .append(", alternating between sides. CPU figures cover whole rounds, settling included.</p>\n<ul>\n");
    for (String note : r.notes()) {
      h.append("<li>").append(escape(note)).append("</li>\n");
    }
    h.append("</ul>\n");
    for (BenchReport.Side s : r.sides()) {
      h.append("<h3>").append(escape(s.name())).append("</h3>\n<p>").append(escape(s.engine())).append(" &rarr; ")
          .append(escape(s.target())).append(": <code>").append(escape(s.work())).append("</code>; ")
          .append(escape(s.model())).append("</p>\n");
      if (!s.command().isEmpty()) {
        h.append("<pre class=\"cmd\">").append(escape(s.command())).append("</pre>\n");
      }
      h.append("<ul>\n");
      for (String note : s.notes()) {
        h.append("<li>").append(escape(note)).append("</li>\n");
      }
      h.append("</ul>\n");
    }
    if (!r.targets().isEmpty()) {
      h.append("<h2>Targets the bench started</h2>\n<table><tr><th>target</th><th>address</th><th>main</th>"
          + "<th>ready in</th><th>rate limits raised</th><th>JVM flags added</th></tr>\n");
      for (BenchReport.Target t : r.targets()) {
        h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td><code>%s</code></td>"
                + "<td class=\"n\">%.1f s</td><td>%s</td><td><code>%s</code></td></tr>%n", escape(t.name()),
            escape(t.address()),
            escape(t.main()), t.startupSeconds(), escape(t.rateLimits().isEmpty() ? "-"
                : String.join(", ", t.rateLimits().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .toList())), escape(String.join(" ", t.jvm()))));
      }
      h.append("</table>\n");
    }
  }

  private static List<Second> concat(List<Second> a, List<Second> b) {
    List<Second> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static String color(int i) {
    return SvgChart.COLORS.get(i % SvgChart.COLORS.size());
  }

  private static String cores(double v) {
    return v < 0 ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String trim(double percentile) {
    String s = String.format(Locale.ROOT, "%.4f", percentile);
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  private static String msLabel(double ms) {
    return ms >= 1 ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%s", trim(ms));
  }

  private static String count(double v) {
    return v >= 1000 ? String.format(Locale.ROOT, "%,.0fk", v / 1000) : String.format(Locale.ROOT, "%.0f", v);
  }

  private static final String CSS = """
      body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1600px;padding:0 1.5em;
        color:#1f2937}
      h1{margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #e5e7eb;padding-bottom:.2em}
      .sub{color:#6b7280;margin-top:0}
      pre.cmd{background:#f3f4f6;padding:.6em .8em;border-radius:6px;white-space:pre-wrap;word-break:break-all}
      .cards{display:flex;flex-wrap:wrap;gap:1em;margin:1.2em 0}
      .card{border:1px solid #e5e7eb;border-radius:10px;padding:.8em 1.2em;min-width:11em;box-shadow:0 1px 2px #0001}
      .card .value{font-size:2.2em;font-weight:700;color:#111827}
      .card .label{font-weight:600} .card .detail{color:#6b7280;font-size:.85em}
      .charts{display:flex;flex-wrap:wrap;gap:1.5em}
      svg.chart{width:760px;max-width:100%;height:auto;border:1px solid #e5e7eb;border-radius:10px;background:#fff}
      svg .title{font-weight:600;font-size:15px} svg .legend{font-size:12px} svg .tick{font-size:11px;fill:#4b5563}
      svg .axis{font-size:12px;fill:#374151} svg .grid{stroke:#e5e7eb} svg .frame{fill:none;stroke:#9ca3af}
      table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
      th,td{border:1px solid #e5e7eb;padding:.3em .6em;text-align:left;vertical-align:top} th{background:#f9fafb}
      td.n{text-align:right;font-variant-numeric:tabular-nums}
      .role{color:#6b7280;font-size:.8em} .ok{color:#15803d} .bad{color:#b91c1c;font-weight:600}
      """;
}
