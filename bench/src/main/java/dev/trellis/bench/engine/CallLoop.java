package dev.trellis.bench.engine;

import dev.trellis.bench.measure.LiveRecorder;
import dev.trellis.bench.measure.OpenLoopSchedule;
import dev.trellis.bench.measure.ProcessCpu;
import dev.trellis.bench.measure.ProcessCpu.CpuTime;
import dev.trellis.bench.measure.Progress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * How the bench's own loads (gRPC, HTTP, JDBC) issue calls, whatever the call: a closed loop of slots, each starting
 * its next call when the last one ends, or an open loop whose sender starts call {@code i} at its intended time and
 * times it from then; a clock that closes a second of the timeline once a second; a count; the drain at the end.
 */
final class CallLoop {
  /** How long a run waits for its last calls once its time is up, before it calls the target stuck. */
  private static final Duration DRAIN = Duration.ofSeconds(30);
  /** Completions that start the next call on the same stack (a call failing at once) hop to a new thread here. */
  private static final int MAX_NESTING = 32;
  private static final ThreadLocal<int[]> NESTING = ThreadLocal.withInitial(() -> new int[1]);

  /** Starts one call asynchronously; it reports to {@code done} exactly once, from any thread. */
  @FunctionalInterface
  interface AsyncCall {
    /** @param slot the closed loop's slot, or the open loop's call number (to spread calls over connections) */
    void start(int slot, Completion done);
  }

  /** How one call ended. */
  @FunctionalInterface
  interface Completion {
    void complete(String status, boolean ok, long messages);
  }

  private CallLoop() {}

  static Load.Round run(AsyncCall call, LoadModel model, Duration settle, Duration duration, long count,
      Consumer<Progress> progress) throws InterruptedException {
    long pid = ProcessHandle.current().pid();
    CpuTime cpuBefore = ProcessCpu.of(pid);
    long start = System.nanoTime();
    long measureFrom = start + settle.toNanos();
    long end = measureFrom + duration.toNanos();
    Run run = new Run(call, new LiveRecorder(System.currentTimeMillis() + settle.toMillis()), count, measureFrom,
        model.open());
    Thread sender = null;
    if (model.open()) {
      OpenLoopSchedule schedule = new OpenLoopSchedule(start, model.rate());
      sender = Thread.ofPlatform().name("bench-open-loop-sender").start(() -> {
        for (int i = 0; ; i++) {
          long intended = schedule.intendedStartNanos(i);
          if (intended >= end || run.stopping.get() || !run.claim()) {
            return;
          }
          OpenLoopSchedule.awaitNanos(intended);
          // At the cap the sender waits; the call is still timed from when it was due.
          while (run.inFlight.get() >= model.inFlight() && !run.stopping.get()) {
            LockSupport.parkNanos(50_000);
          }
          run.start(i, intended, false);
        }
      });
    } else {
      for (int slot = 0; slot < model.inFlight() && run.claim(); slot++) {
        run.start(slot, System.nanoTime(), true);
      }
    }
    long nextTick = measureFrom + 1_000_000_000L;
    while (System.nanoTime() < end && !run.allDone()) {
      OpenLoopSchedule.awaitNanos(Math.min(nextTick, Math.min(end, System.nanoTime() + 10_000_000L)));
      if (System.nanoTime() >= nextTick) {
        run.recorder.tick(System.currentTimeMillis());
        progress.accept(run.recorder.progress());
        nextTick += 1_000_000_000L;
      }
    }
    long window = Math.max(0, Math.min(System.nanoTime(), end) - measureFrom);
    run.stopping.set(true);
    if (sender != null) {
      sender.join();
    }
    long drainUntil = System.nanoTime() + DRAIN.toNanos();
    while (run.inFlight.get() > 0 && System.nanoTime() < drainUntil) {
      Thread.sleep(5);
    }
    List<String> notes = run.inFlight.get() == 0 ? List.of() : List.of(run.inFlight.get() + " calls were still in"
        + " flight " + DRAIN.toSeconds() + " s after the end and are not counted: the target is stuck or overloaded");
    var recording = run.recorder.finish(System.currentTimeMillis(), window / 1e9);
    return new Load.Round(recording, ProcessCpu.of(pid).minus(cpuBefore), notes,
        recording.calls() + run.settling.get());
  }

  /** The counters of one run. */
  private static final class Run {
    final AsyncCall call;
    final LiveRecorder recorder;
    final long count;
    final AtomicBoolean stopping = new AtomicBoolean();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong claimed = new AtomicLong();
    final AtomicLong settling = new AtomicLong();
    final long measureFromNanos;
    /**
     * An open loop measures the calls due from the end of the settling (however late they end, so that a backlog
     * built while settling cannot swell the measured rate); a closed loop the calls that end after it.
     */
    final boolean byIntendedStart;

    Run(AsyncCall call, LiveRecorder recorder, long count, long measureFromNanos, boolean byIntendedStart) {
      this.call = call;
      this.recorder = recorder;
      this.count = count;
      this.measureFromNanos = measureFromNanos;
      this.byIntendedStart = byIntendedStart;
    }

    /** Takes the right to start one more call: always in a timed run, {@code count} times in a counted one. */
    boolean claim() {
      return count <= 0 || claimed.incrementAndGet() <= count;
    }

    boolean allDone() {
      return count > 0 && claimed.get() >= count && inFlight.get() == 0;
    }

    /** Starts a call timed from {@code startNanos}; in a closed loop its end starts the slot's next call. */
    void start(int slot, long startNanos, boolean closed) {
      inFlight.incrementAndGet();
      int[] nesting = NESTING.get();
      nesting[0]++;
      try {
        call.start(slot, (status, ok, messages) -> {
          long now = System.nanoTime();
          if ((byIntendedStart ? startNanos : now) >= measureFromNanos) {
            recorder.record(now - startNanos, status, ok, messages);
          } else {
            settling.incrementAndGet();
          }
          inFlight.decrementAndGet();
          if (closed && !stopping.get() && claim()) {
            if (NESTING.get()[0] < MAX_NESTING) {
              start(slot, System.nanoTime(), true);
            } else {
              Thread.ofVirtual().start(() -> start(slot, System.nanoTime(), true));
            }
          }
        });
      } finally {
        nesting[0]--;
      }
    }
  }
}
