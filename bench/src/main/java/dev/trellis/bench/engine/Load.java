package dev.trellis.bench.engine;

import dev.trellis.bench.measure.ProcessCpu.CpuTime;
import dev.trellis.bench.measure.Progress;
import dev.trellis.bench.measure.Recording;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * One side of a benchmark: an engine (the bench's own Java client, h2load, pgbench, JDBC) driving one kind of work
 * against one target. The runner calls {@link #run} for the warm-up slices and for every measured round, alternating
 * with the other sides, so a load keeps what is costly to set up (channels, pools, files) between runs.
 */
public interface Load extends AutoCloseable {
  /** What the report says about this load: engine, target, work, the exact engine command. */
  LoadInfo info();

  /**
   * Runs the load for {@code settle} and then {@code duration}, or until {@code count} calls have completed when
   * {@code count > 0} (whichever comes first), passing the totals so far to {@code progress} about once a second.
   * Calls that end during {@code settle} are not measured: every run opens new connections (an external engine
   * also starts a new process, pgbench new database backends), and its first second or two run slower.
   */
  Round run(Duration settle, Duration duration, long count, Consumer<Progress> progress) throws Exception;

  /** Releases what the load holds (channels, pools, files); engines' processes have ended by then. */
  @Override
  void close() throws Exception;

  /**
   * What one run measured, and the CPU the load generator used over the whole run, settling included (its JVM for a
   * Java load, the engine's process otherwise; {@link CpuTime#UNKNOWN} when it cannot tell).
   *
   * @param allCalls calls completed over the whole run, settling included: CPU per call divides by it
   */
  record Round(Recording recording, CpuTime generatorCpu, List<String> notes, long allCalls) {
    public Round {
      notes = List.copyOf(notes);
    }
  }
}
