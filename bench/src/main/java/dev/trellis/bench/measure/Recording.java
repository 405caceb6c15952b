package dev.trellis.bench.measure;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What one side of a benchmark measured over one stretch of time (a round, or all rounds merged): latencies of every
 * completed call in microseconds, calls by status, and a second-by-second timeline.
 *
 * @param seconds how long the load ran (the denominator of every rate)
 * @param calls calls that completed, failed ones included
 * @param errors calls that completed with a status other than OK (gRPC) or 2xx (HTTP)
 * @param messages response messages (server streams send many per call; unary calls one)
 * @param latencyMicros every completed call's latency; from the intended start time in open-loop runs
 * @param statuses completed calls by status name (gRPC code name, {@code HTTP 404}, {@code failed}...)
 * @param timeline one entry per second, in time order
 */
public record Recording(double seconds, long calls, long errors, long messages, Histogram latencyMicros,
    Map<String, Long> statuses, List<Second> timeline) {

  /** The highest latency a histogram tracks (an hour, in microseconds); longer ones count as an hour. */
  public static final long HIGHEST_MICROS = 3_600_000_000L;

  public Recording {
    requireNonNull(latencyMicros, "latencyMicros");
    statuses = Map.copyOf(new TreeMap<>(statuses));
    timeline = List.copyOf(timeline);
  }

  /** An empty histogram with the range and precision every recording uses. */
  public static Histogram newHistogram() {
    Histogram histogram = new Histogram(HIGHEST_MICROS, 3);
    histogram.setAutoResize(false);
    return histogram;
  }

  public double callsPerSecond() {
    return seconds > 0 ? calls / seconds : 0;
  }

  public double messagesPerSecond() {
    return seconds > 0 ? messages / seconds : 0;
  }

  /** Latency at {@code percentile} (0 to 100) in microseconds; 0 when nothing completed. */
  public long percentile(double percentile) {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getValueAtPercentile(percentile);
  }

  /** Several recordings of one side as one: times add up, histograms and statuses merge, timelines concatenate. */
  public static Recording merge(List<Recording> parts) {
    Histogram all = newHistogram();
    Map<String, Long> statuses = new TreeMap<>();
    List<Second> timeline = new ArrayList<>();
    double seconds = 0;
    long calls = 0;
    long errors = 0;
    long messages = 0;
    for (Recording part : parts) {
      all.add(part.latencyMicros());
      part.statuses().forEach((status, n) -> statuses.merge(status, n, Long::sum));
      timeline.addAll(part.timeline());
      seconds += part.seconds();
      calls += part.calls();
      errors += part.errors();
      messages += part.messages();
    }
    timeline.sort((a, b) -> Long.compare(a.startEpochMillis(), b.startEpochMillis()));
    return new Recording(seconds, calls, errors, messages, all, statuses, timeline);
  }
}
