package dev.trellis.bench.measure;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Builds a {@link Recording} from per-request lines that an external engine logged (h2load's {@code --log-file},
 * pgbench's {@code -l}): each line has an end time and a latency, so the timeline and the percentiles are exact and
 * the same as a Java load's. Not thread-safe: one reader feeds it.
 *
 * <p>When the engine paced its requests at a fixed rate but timed them from their actual send (h2load's
 * {@code --rps}), a stall holds back the sends that were due meanwhile, and their waiting would vanish from the
 * latencies (coordinated omission). Given that expected interval, each latency longer than it is recorded with the
 * latencies the held-back requests would have seen ({@link Histogram#recordValueWithExpectedInterval}).
 */
public final class LogRecorder {
  private final long originEpochMicros;
  private final long expectedIntervalMicros;
  private long settling;
  private long lastEndEpochMicros;
  private final Histogram total = Recording.newHistogram();
  private final Map<Long, SecondAccumulator> seconds = new TreeMap<>();
  private final Map<String, Long> statuses = new TreeMap<>();
  private long calls;
  private long errors;
  private long messages;

  /**
   * @param originEpochMicros when the measurement starts: the timeline's seconds count from here, and requests that
   *     ended before are only counted ({@link #settlingCalls})
   * @param expectedIntervalMicros the pacing interval of one connection of a rate-limited engine that times from the
   *     actual send; 0 for none (closed loop, or an engine that times from the scheduled start)
   */
  public LogRecorder(long originEpochMicros, long expectedIntervalMicros) {
    if (expectedIntervalMicros < 0) {
      throw new IllegalArgumentException("expectedIntervalMicros must not be negative");
    }
    this.originEpochMicros = originEpochMicros;
    this.expectedIntervalMicros = expectedIntervalMicros;
  }

  /** One logged request: when it ended (epoch microseconds), how long it took, how it ended. */
  public void add(long endEpochMicros, long latencyMicros, String status, boolean ok, long responseMessages) {
    requireNonNull(status, "status");
    if (endEpochMicros < originEpochMicros) {
      settling++;
      return;
    }
    long latency = Math.min(Math.max(latencyMicros, 0), Recording.HIGHEST_MICROS);
    lastEndEpochMicros = Math.max(lastEndEpochMicros, endEpochMicros);
    if (expectedIntervalMicros > 0) {
      total.recordValueWithExpectedInterval(latency, expectedIntervalMicros);
    } else {
      total.recordValue(latency);
    }
    long second = Math.max(0, Math.floorDiv(endEpochMicros - originEpochMicros, 1_000_000L));
    SecondAccumulator acc = seconds.computeIfAbsent(second, s -> new SecondAccumulator());
    acc.latencies.recordValue(latency);
    acc.calls++;
    acc.messages += responseMessages;
    calls++;
    messages += responseMessages;
    if (!ok) {
      acc.errors++;
      errors++;
    }
    statuses.merge(status, 1L, Long::sum);
  }

  /** Calls measured so far. */
  public long calls() {
    return calls;
  }

  /** Seconds from the start of the measurement to the last measured call's end (0 when none). */
  public double measuredSeconds() {
    return calls == 0 ? 0 : (lastEndEpochMicros - originEpochMicros) / 1e6;
  }

  /** Calls that ended before the measurement started. */
  public long settlingCalls() {
    return settling;
  }

  /** Totals so far, for the progress line while the engine still runs. */
  public Progress progress() {
    return new Progress(calls, errors, messages, total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(50),
        total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(99));
  }

  /**
   * The recording of a load that ran {@code seconds} and ended at {@code endEpochMicros} (the last second of the
   * timeline is cut there). With a correction, the histogram holds more values than calls were made: the ones the
   * stalls held back.
   */
  public Recording finish(double seconds, long endEpochMicros) {
    List<Second> timeline = new ArrayList<>();
    this.seconds.forEach((second, acc) -> {
      long from = originEpochMicros + second * 1_000_000L;
      long to = Math.max(from, Math.min(from + 1_000_000L, endEpochMicros));
      timeline.add(new Second(from / 1000, (to - from) / 1000, acc.calls, acc.errors, acc.messages,
          acc.latencies.getValueAtPercentile(50), acc.latencies.getValueAtPercentile(99)));
    });
    return new Recording(seconds, calls, errors, messages, total.copy(), statuses, timeline);
  }

  private static final class SecondAccumulator {
    // Two significant digits are plenty for a point of the plot, and a tenth of the memory.
    final Histogram latencies = new Histogram(Recording.HIGHEST_MICROS, 2);
    long calls;
    long errors;
    long messages;
  }
}
