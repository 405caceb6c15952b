package dev.trellis.bench;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load inside one JVM, for {@link DataLayerBenchmark} and {@link OrderServiceLoad}: a fixed number of
 * calls in flight, each completion starting the next, for a given time. Latencies go to an HdrHistogram; only calls
 * completed inside the window count for QPS. Calls are either async gRPC calls ({@link #of}) or blocking calls on as
 * many virtual threads ({@link #blocking}). (Loads against any target are {@code ./trellis bench}'s, in engine/.)
 */
final class ClosedLoopLoad {
  /** Starts one async call that reports to {@code observer}. */
  @FunctionalInterface
  interface AsyncCall<T> {
    void start(StreamObserver<T> observer);
  }

  /** One blocking call; an exception counts as a failure. */
  @FunctionalInterface
  interface BlockingCall {
    void run() throws Exception;
  }

  /** What one round measured. */
  record Round(long calls, long failures, double seconds, Histogram latencyMicros) {
    double qps() {
      return calls / seconds;
    }
  }

  /** Every round of one load together: the mean of the rounds' QPS, the latencies of all calls, the failures. */
  record Summary(double qps, Histogram latencyMicros, long failures) {
    static Summary of(List<Round> rounds) {
      Histogram all = new Histogram(3);
      rounds.forEach(r -> all.add(r.latencyMicros()));
      return new Summary(rounds.stream().mapToDouble(Round::qps).average().orElse(0), all,
          rounds.stream().mapToLong(Round::failures).sum());
    }

    long p50() {
      return latencyMicros.getValueAtPercentile(50);
    }

    long p99() {
      return latencyMicros.getValueAtPercentile(99);
    }

    /** One report line: {@code name}, QPS, p50 and p99 in microseconds, failures. */
    String line(String name) {
      return String.format(Locale.ROOT, "%-34s %9.0f qps  p50 %6d us  p99 %6d us  failures %d", name, qps, p50(),
          p99(), failures);
    }
  }

  private final int inFlight;
  private final Starter starter;

  private ClosedLoopLoad(int inFlight, Starter starter) {
    this.inFlight = inFlight;
    this.starter = starter;
  }

  /** {@code inFlight} async calls at a time. */
  static <T> ClosedLoopLoad of(int inFlight, AsyncCall<T> call) {
    requireNonNull(call, "call");
    return new ClosedLoopLoad(inFlight, (recorder, completed, failed, drained, end) ->
        new Slot<>(call, recorder, completed, failed, drained, end).next());
  }

  /** {@code threads} virtual threads, each making the blocking call again and again. */
  static ClosedLoopLoad blocking(int threads, BlockingCall call) {
    requireNonNull(call, "call");
    return new ClosedLoopLoad(threads, (recorder, completed, failed, drained, end) ->
        Thread.ofVirtual().start(() -> {
          long now = System.nanoTime();
          while (now < end) {
            try {
              call.run();
            } catch (Exception e) {
              failed.incrementAndGet();
            }
            long done = System.nanoTime();
            if (done < end) {
              recorder.recordValue((done - now) / 1_000);
              completed.incrementAndGet();
            }
            now = done;
          }
          drained.countDown();
        }));
  }

  Round run(Duration duration) throws InterruptedException {
    Recorder latencies = new Recorder(3);
    AtomicLong completed = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch drained = new CountDownLatch(inFlight);
    long end = System.nanoTime() + duration.toNanos();
    for (int i = 0; i < inFlight; i++) {
      starter.start(latencies, completed, failed, drained, end);
    }
    if (!drained.await(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("calls still in flight a minute after the round ended");
    }
    return new Round(completed.get(), failed.get(), duration.toNanos() / 1e9, latencies.getIntervalHistogram());
  }

  /** One of {@code ids}, uniformly at random: how a load spreads its calls over the rows it reads. */
  static long anyOf(long[] ids) {
    return ids[ThreadLocalRandom.current().nextInt(ids.length)];
  }

  /** Runs {@code rounds} rounds of each load in turn (A, B, A, B...), so machine noise hits them alike. */
  static List<List<Round>> alternate(List<ClosedLoopLoad> loads, int rounds, Duration round)
      throws InterruptedException {
    List<List<Round>> results = new ArrayList<>();
    loads.forEach(l -> results.add(new ArrayList<>()));
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < loads.size(); i++) {
        results.get(i).add(loads.get(i).run(round));
      }
    }
    return results;
  }

  /** Starts one slot of the loop. */
  @FunctionalInterface
  private interface Starter {
    void start(Recorder latencies, AtomicLong completed, AtomicLong failed, CountDownLatch drained, long end);
  }

  /** One async call in flight at a time, again and again until the round ends. */
  private static final class Slot<T> implements StreamObserver<T> {
    private final AsyncCall<T> call;
    private final Recorder latencies;
    private final AtomicLong completed;
    private final AtomicLong failed;
    private final CountDownLatch drained;
    private final long end;
    private long startNanos;

    Slot(AsyncCall<T> call, Recorder latencies, AtomicLong completed, AtomicLong failed, CountDownLatch drained,
        long end) {
      this.call = call;
      this.latencies = latencies;
      this.completed = completed;
      this.failed = failed;
      this.drained = drained;
      this.end = end;
    }

    void next() {
      startNanos = System.nanoTime();
      // Started from the root Context: a call started from the previous call's callback would otherwise hang
      // its Context below the previous one, and with OpenTelemetry's gRPC context bridge on the classpath that
      // chain grows with every call ("Context ancestry chain length is abnormally long").
      Context.ROOT.run(() -> call.start(this));
    }

    @Override
    public void onNext(T response) {}

    @Override
    public void onError(Throwable t) {
      failed.incrementAndGet();
      finished();
    }

    @Override
    public void onCompleted() {
      finished();
    }

    private void finished() {
      long now = System.nanoTime();
      if (now > end) {
        drained.countDown();
        return;
      }
      latencies.recordValue((now - startNanos) / 1_000);
      completed.incrementAndGet();
      next();
    }
  }
}
