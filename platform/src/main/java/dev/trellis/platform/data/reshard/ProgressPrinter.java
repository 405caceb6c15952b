package dev.trellis.platform.data.reshard;

import java.io.Console;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Prints reshard progress: a bar redrawn in place on a terminal, plain lines otherwise (a Kubernetes Job's log), at
 * most one line every {@code every} unless it is the first or the last.
 */
public final class ProgressPrinter implements Consumer<ReshardProgress> {
  private static final int WIDTH = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final Duration every;
  private long lastPrinted = Long.MIN_VALUE;

  public ProgressPrinter(PrintStream out, boolean terminal, Duration every) {
    this.out = out;
    this.terminal = terminal;
    this.every = every;
  }

  @Override
  public synchronized void accept(ReshardProgress p) {
    long now = System.nanoTime();
    boolean last = p.moved() >= p.total();
    if (!last && p.moved() > 0 && lastPrinted != Long.MIN_VALUE && now - lastPrinted < every.toNanos()) {
      return;
    }
    lastPrinted = now;
    String line = line(p);
    if (terminal) {
      out.print("\r" + line + "\u001b[K" + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** One progress line: bar (on a terminal), buckets, rows, rate, time left. */
  String line(ReshardProgress p) {
    int filled = p.total() == 0 ? WIDTH : (int) ((long) WIDTH * p.moved() / p.total());
    String bar = terminal ? "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " : "";
    Duration left = p.remaining();
    return String.format("%s: %s%d/%d buckets (%s/s), %d rows copied (%s rows/s), %s left", p.database(), bar,
        p.moved(), p.total(), rate(p.bucketsPerSecond()), p.rowsCopied(), rate(p.rowsPerSecond()),
        left == null ? "?" : format(left));
  }

  /**
   * A rate with the digits that say something: an almost empty database copies a few rows per second (a whole
   * number showed them as "0"), a large one thousands.
   */
  static String rate(double perSecond) {
    if (perSecond == 0) {
      return "0";
    }
    if (perSecond >= 100) {
      return String.format(Locale.ROOT, "%.0f", perSecond);
    }
    return String.format(Locale.ROOT, perSecond >= 10 ? "%.1f" : "%.2f", perSecond);
  }

  /** Whether stdout is a terminal (JDK 22+ says so; before, a console exists only on one). */
  public static boolean isTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  /** 1h02m, 3m05s, 12.3s. */
  static String format(Duration d) {
    long s = d.toSeconds();
    if (s >= 3600) {
      return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    if (s >= 60) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%.1fs", d.toMillis() / 1000.0);
  }
}
