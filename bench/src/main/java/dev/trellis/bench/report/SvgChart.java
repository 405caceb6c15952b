package dev.trellis.bench.report;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * A line chart as inline SVG, written by hand so the report is one self-contained file with nothing to fetch: axes
 * with ticks, one polyline per series (split where a series has a gap), points with a tooltip, a legend.
 */
final class SvgChart {
  static final List<String> COLORS = List.of("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
      "#ca8a04", "#db2777");

  /**
   * A series: points as {x, y}; consecutive points further apart than {@code maxGap} in x are not joined.
   *
   * @param tooltips one per point (empty for none)
   */
  record Series(String name, String color, List<double[]> points, boolean dashed, double maxGap,
      List<String> tooltips) {}

  /** A tick: where, and its label. */
  record Tick(double value, String label) {}

  /** Maps values to [0, 1] along an axis and says where its ticks go. */
  interface Axis {
    double position(double value);

    List<Tick> ticks();
  }

  /** A linear axis from {@code min} to a nice maximum above {@code max}. */
  static Axis linear(double min, double max, DoubleFunction<String> label) {
    double span = Math.max(max - min, 1e-9);
    double step = niceStep(span / 5);
    double top = Math.ceil(max / step) * step;
    double bottom = Math.floor(min / step) * step;
    List<Tick> ticks = new ArrayList<>();
    for (double v = bottom; v <= top + step / 2; v += step) {
      ticks.add(new Tick(v, label.apply(v)));
    }
    double range = Math.max(top - bottom, 1e-9);
    return new Axis() {
      @Override
      public double position(double value) {
        return (value - bottom) / range;
      }

      @Override
      public List<Tick> ticks() {
        return ticks;
      }
    };
  }

  /** A base-10 logarithmic axis covering [min, max], ticks at 1, 2 and 5 of each decade. */
  static Axis log(double min, double max, DoubleFunction<String> label) {
    double lo = Math.pow(10, Math.floor(Math.log10(Math.max(min, 1e-9))));
    double hi = Math.pow(10, Math.ceil(Math.log10(Math.max(max, lo * 10))));
    List<Tick> ticks = new ArrayList<>();
    for (double decade = lo; decade < hi * 1.01; decade *= 10) {
      for (int m : new int[] {1, 2, 5}) {
        double v = decade * m;
        if (v <= hi * 1.0001) {
          ticks.add(new Tick(v, label.apply(v)));
        }
      }
    }
    double l0 = Math.log10(lo);
    double span = Math.log10(hi) - l0;
    return new Axis() {
      @Override
      public double position(double value) {
        return (Math.log10(Math.max(value, lo)) - l0) / span;
      }

      @Override
      public List<Tick> ticks() {
        return ticks;
      }
    };
  }

  /**
   * The percentile axis of latency plots (as HdrHistogram's plotter draws it): position grows with the number of
   * nines, -log10(1 - p), so the tail gets as much room as the body.
   */
  static Axis percentile(int maxNines) {
    List<Tick> ticks = new ArrayList<>();
    ticks.add(new Tick(0, "0%"));
    ticks.add(new Tick(50, "50%"));
    String[] labels = {"90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
    for (int n = 1; n <= maxNines; n++) {
      ticks.add(new Tick(100 - 100 / Math.pow(10, n), labels[n - 1]));
    }
    return new Axis() {
      @Override
      public double position(double p) {
        return -Math.log10(Math.max(1 - Math.min(p, 100) / 100, Math.pow(10, -maxNines))) / maxNines;
      }

      @Override
      public List<Tick> ticks() {
        return ticks;
      }
    };
  }

  private static double niceStep(double raw) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double residual = raw / magnitude;
    double nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 5 ? 5 : 10;
    return nice * magnitude;
  }

  static String render(String title, String xLabel, String yLabel, Axis x, Axis y, List<Series> series,
      int width, int height) {
    requireNonNull(series, "series");
    int left = 70;
    int right = 36;
    // The legend in as many columns as its longest name allows (about 6.5 px a character at 12 px).
    int longest = series.stream().mapToInt(s -> s.name().length()).max().orElse(1);
    int columnWidth = (int) Math.min(width - left - right, longest * 6.5 + 44);
    int columns = Math.max(1, (width - left - right) / columnWidth);
    int top = 40 + 18 * ((series.size() + columns - 1) / columns);
    int bottom = 48;
    double plotW = width - left - right;
    double plotH = height - top - bottom;
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
        + "role=\"img\" aria-label=\"%s\" class=\"chart\">%n", width, height, escape(title)));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" class=\"title\">%s</text>%n", left,
        escape(title)));
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      int lx = left + (i % columns) * columnWidth;
      int ly = 36 + (i / columns) * 18;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
          + "stroke-width=\"3\"%s/><text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>%n", lx, ly - 4, lx + 22,
          ly - 4, s.color(), s.dashed() ? " stroke-dasharray=\"5 4\"" : "", lx + 28, ly, escape(s.name())));
    }
    for (Tick t : y.ticks()) {
      double py = top + plotH * (1 - y.position(t.value()));
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
          + "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>%n", left, py, left + plotW, py,
          left - 6, py + 4, escape(t.label())));
    }
    for (Tick t : x.ticks()) {
      double px = left + plotW * x.position(t.value());
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
          + "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%s</text>%n", px, top, px,
          top + plotH, px, top + plotH + 16, escape(t.label())));
    }
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>"
        + "%n", left, top, plotW, plotH));
    svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">%s"
        + "</text>%n", left + plotW / 2, height - 10, escape(xLabel)));
    svg.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 16 %.1f)\">%s</text>%n", top + plotH / 2, top + plotH / 2, escape(yLabel)));
    for (Series s : series) {
      List<StringBuilder> segments = new ArrayList<>();
      double lastX = Double.NaN;
      for (double[] p : s.points()) {
        if (segments.isEmpty() || p[0] - lastX > s.maxGap()) {
          segments.add(new StringBuilder());
        }
        segments.get(segments.size() - 1).append(String.format(Locale.ROOT, "%.1f,%.1f ",
            left + plotW * clamp(x.position(p[0])), top + plotH * (1 - clamp(y.position(p[1])))));
        lastX = p[0];
      }
      for (StringBuilder segment : segments) {
        svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
            + "stroke-width=\"2\"%s/>%n", segment.toString().strip(), s.color(),
            s.dashed() ? " stroke-dasharray=\"5 4\" stroke-opacity=\"0.6\"" : ""));
      }
      for (int i = 0; i < s.tooltips().size() && i < s.points().size(); i++) {
        double[] p = s.points().get(i);
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"><title>%s"
            + "</title></circle>%n", left + plotW * clamp(x.position(p[0])), top + plotH * (1
            - clamp(y.position(p[1]))), s.color(), escape(s.tooltips().get(i))));
      }
    }
    return svg.append("</svg>\n").toString();
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(1, v));
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
