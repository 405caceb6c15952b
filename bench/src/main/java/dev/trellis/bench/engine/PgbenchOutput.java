package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.measure.LogRecorder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pgbench's summary (PostgreSQL 15's client), parsed:
 *
 * <pre>
 * number of transactions actually processed: 171234
 * number of failed transactions: 0 (0.000%)
 * latency average = 1.868 ms
 * tps = 17123.431 (without initial connection time)
 * </pre>
 *
 * @param processed transactions that completed
 * @param failed transactions that failed (0 when pgbench does not print the line)
 * @param tps pgbench's own rate, without the initial connection time
 * @param latencyAverageMillis pgbench's mean latency
 */
public record PgbenchOutput(long processed, long failed, double tps, double latencyAverageMillis) {
  private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");
  private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
  private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");
  private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

  /** Parses pgbench's standard output; an {@link IllegalArgumentException} quotes its end when there is no summary. */
  public static PgbenchOutput parse(String output) {
    requireNonNull(output, "output");
    Matcher processed = PROCESSED.matcher(output);
    Matcher tps = TPS.matcher(output);
    if (!processed.find() || !tps.find()) {
      throw new IllegalArgumentException("pgbench printed no summary; its output ends with: "
          + H2loadOutput.tail(output, 600));
    }
    Matcher failed = FAILED.matcher(output);
    Matcher latency = LATENCY.matcher(output);
    return new PgbenchOutput(Long.parseLong(processed.group(1)),
        failed.find() ? Long.parseLong(failed.group(1)) : 0, Double.parseDouble(tps.group(1)),
        latency.find() ? Double.parseDouble(latency.group(1)) : Double.NaN);
  }

  /**
   * One line of pgbench's per-transaction log ({@code -l}): {@code client_id transaction_no time script_no
   * time_epoch time_us [schedule_lag]}, where {@code time} is the transaction's latency in microseconds (or
   * {@code failed}/{@code skipped}) and the epoch pair is when it ended. Under {@code --rate} the schedule lag is
   * added: pgbench then times from the scheduled start, as an open loop must. Returns false for a line that is not
   * one.
   */
  public static boolean addLogLine(String line, boolean rateLimited, LogRecorder recorder) {
    String[] f = line.trim().split("\\s+");
    if (f.length < 6) {
      return false;
    }
    try {
      long end = Long.parseLong(f[4]) * 1_000_000L + Long.parseLong(f[5]);
      if (f[2].equals("failed") || f[2].equals("skipped")) {
        recorder.add(end, 0, f[2], false, 0);
        return true;
      }
      long latency = Long.parseLong(f[2]);
      if (rateLimited && f.length >= 7) {
        latency += Long.parseLong(f[6]);
      }
      recorder.add(end, latency, "OK", true, 1);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
