package dev.trellis.bench.measure;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Records calls as they complete, from any thread (a Java load's Netty threads), without locks on the hot path:
 * HdrHistogram's {@link Recorder} takes the latencies, counters the outcomes. {@link #tick} closes one second of the
 * timeline; call it once a second from one thread (the progress ticker), and {@link #finish} at the end.
 */
public final class LiveRecorder {
  private final Recorder interval = new Recorder(Recording.HIGHEST_MICROS, 3);
  private final AtomicLong intervalCalls = new AtomicLong();
  private final AtomicLong intervalErrors = new AtomicLong();
  private final AtomicLong intervalMessages = new AtomicLong();
  private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
  private final Histogram total = Recording.newHistogram();
  private final List<Second> timeline = new ArrayList<>();
  private Histogram recycled;
  private long calls;
  private long errors;
  private long messages;
  private long secondStartMillis;

  /** @param startEpochMillis when the load began, the start of its first second */
  public LiveRecorder(long startEpochMillis) {
    this.secondStartMillis = startEpochMillis;
  }

  /**
   * One completed call.
   *
   * @param latencyNanos from the call's start (its intended start in an open loop) to its end
   * @param status the status name ({@code OK}, {@code UNAVAILABLE}, {@code HTTP 503}...)
   * @param ok whether it counts as a success
   * @param messages response messages the call received
   */
  public void record(long latencyNanos, String status, boolean ok, long messages) {
    requireNonNull(status, "status");
    interval.recordValue(Math.min(Math.max(latencyNanos / 1_000, 0), Recording.HIGHEST_MICROS));
    intervalCalls.incrementAndGet();
    intervalMessages.addAndGet(messages);
    if (!ok) {
      intervalErrors.incrementAndGet();
    }
    statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  /** Closes the second that began at the last tick; {@code nowEpochMillis} begins the next. */
  public synchronized Second tick(long nowEpochMillis) {
    recycled = interval.getIntervalHistogram(recycled);
    total.add(recycled);
    long c = intervalCalls.getAndSet(0);
    long e = intervalErrors.getAndSet(0);
    long m = intervalMessages.getAndSet(0);
    calls += c;
    errors += e;
    messages += m;
    long p50 = recycled.getTotalCount() == 0 ? 0 : recycled.getValueAtPercentile(50);
    long p99 = recycled.getTotalCount() == 0 ? 0 : recycled.getValueAtPercentile(99);
    Second second = new Second(secondStartMillis, Math.max(0, nowEpochMillis - secondStartMillis), c, e, m, p50,
        p99);
    timeline.add(second);
    secondStartMillis = nowEpochMillis;
    return second;
  }

  /** Totals up to the last tick: for the progress line. */
  public synchronized Progress progress() {
    return new Progress(calls, errors, messages, total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(50),
        total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(99));
  }

  /** Ticks the last (partial) second and returns everything recorded over {@code seconds} of load. */
  public synchronized Recording finish(long nowEpochMillis, double seconds) {
    tick(nowEpochMillis);
    Map<String, Long> counted = new TreeMap<>();
    statuses.forEach((status, n) -> counted.put(status, n.sum()));
    return new Recording(seconds, calls, errors, messages, total.copy(), counted, timeline);
  }
}
