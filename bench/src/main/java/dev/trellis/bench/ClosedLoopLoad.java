package dev.trellis.bench;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load client: a fixed number of unary calls in flight on async stubs, each completion starting the
 * next, for a given time. Latencies go to an HdrHistogram; only calls completed inside the window count for QPS.
 */
final class ClosedLoopLoad {
  private static final SimpleRequest REQUEST = SimpleRequest.newBuilder().setRequestMessage("ping").build();

  private final SimpleServiceGrpc.SimpleServiceStub stub;
  private final int inFlight;

  ClosedLoopLoad(Channel channel, int inFlight) {
    this.stub = SimpleServiceGrpc.newStub(requireNonNull(channel, "channel"));
    this.inFlight = inFlight;
  }

  /** What one round measured. */
  record Round(long calls, long failures, double seconds, Histogram latencyMicros) {
    double qps() {
      return calls / seconds;
    }
  }

  Round run(Duration duration) throws InterruptedException {
    Recorder latencies = new Recorder(3);
    AtomicLong completed = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch drained = new CountDownLatch(inFlight);
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    for (int i = 0; i < inFlight; i++) {
      new Slot(latencies, completed, failed, drained, end).next();
    }
    if (!drained.await(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("calls still in flight a minute after the round ended");
    }
    return new Round(completed.get(), failed.get(), duration.toNanos() / 1e9, latencies.getIntervalHistogram());
  }

  /** One call in flight at a time, again and again until the round ends. */
  private final class Slot implements StreamObserver<SimpleResponse> {
    private final Recorder latencies;
    private final AtomicLong completed;
    private final AtomicLong failed;
    private final CountDownLatch drained;
    private final long end;
    private long startNanos;

    Slot(Recorder latencies, AtomicLong completed, AtomicLong failed, CountDownLatch drained, long end) {
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
      Context.ROOT.run(() -> stub.unaryRpc(REQUEST, this));
    }

    @Override
    public void onNext(SimpleResponse response) {}

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
