package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.measure.Progress;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The live line on the terminal while a side runs: phase, side, calls so far, rate, errors, p50 and p99 so far. On a
 * terminal it rewrites itself in place; otherwise (a pipe, CI) it prints a line every ten seconds; or nothing.
 */
final class ProgressLine {
  /** How progress shows. */
  enum Mode { AUTO, LINE, PLAIN, OFF }

  private final PrintStream out;
  private final boolean inPlace;
  private final boolean off;
  private long lastPlainNanos;
  private boolean dirty;

  ProgressLine(PrintStream out, Mode mode) {
    this.out = requireNonNull(out, "out");
    Mode resolved = mode == Mode.AUTO ? (System.console() != null ? Mode.LINE : Mode.PLAIN) : mode;
    this.inPlace = resolved == Mode.LINE;
    this.off = resolved == Mode.OFF;
  }

  /** A sink for one run of one side: {@code phase} such as {@code warm-up} or {@code round 2/3}. */
  Consumer<Progress> forRun(String phase, String side) {
    long start = System.nanoTime();
    return progress -> show(format(phase, side, progress, (System.nanoTime() - start) / 1e9));
  }

  static String format(String phase, String side, Progress p, double seconds) {
    return String.format(Locale.ROOT, "[%s] %s: %,d calls, %,.0f/s, %,d errors, p50 %s, p99 %s%s", phase, side,
        p.calls(), seconds > 0 ? p.calls() / seconds : 0, p.errors(), millis(p.p50Micros()), millis(p.p99Micros()),
        p.messages() > p.calls() ? String.format(Locale.ROOT, ", %,.0f msgs/s", p.messages() / seconds) : "");
  }

  static String millis(long micros) {
    return micros < 1000 ? micros + " us" : String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  private synchronized void show(String line) {
    if (off) {
      return;
    }
    if (inPlace) {
      out.print("\r\033[K" + line);
      out.flush();
      dirty = true;
    } else if (System.nanoTime() - lastPlainNanos > 10_000_000_000L) {
      out.println(line);
      lastPlainNanos = System.nanoTime();
    }
  }

  /** Ends an in-place line, so that the next message starts on a fresh one. */
  synchronized void finish() {
    if (inPlace && dirty) {
      out.println();
      dirty = false;
    }
    lastPlainNanos = 0;
  }

  /** Where other parts of the run print their messages: the progress stream, or nowhere when progress is off. */
  PrintStream messages() {
    return off ? new PrintStream(java.io.OutputStream.nullOutputStream()) : out;
  }

  /** A message on its own line. */
  synchronized void say(String message) {
    finish();
    if (!off) {
      out.println(message);
    }
  }
}
