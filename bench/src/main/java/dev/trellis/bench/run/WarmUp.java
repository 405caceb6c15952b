package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.engine.Load;
import dev.trellis.bench.measure.ProcessCpu;
import dev.trellis.bench.measure.ProcessCpu.CpuTime;
import dev.trellis.bench.measure.Progress;
import dev.trellis.bench.measure.Second;
import dev.trellis.bench.report.BenchReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Warms one side up as its {@link WarmupPolicy} says: a fixed time, or slices until the rate and the JIT settle. It
 * watches the compiler threads of the target's JVM (when the bench started it) and of the bench's own JVM (when the
 * load generator runs in it), through /proc.
 */
final class WarmUp {
  private WarmUp() {}

  /**
   * @param targetJvms the target's JVMs (its own and those of what it needs), when local
   * @param generatorIsThisJvm whether the load generator runs in the bench's JVM (its JIT matters then)
   * @param timeline receives the warm-up's seconds, for the throughput plot
   */
  static BenchReport.Warmup run(Load load, WarmupPolicy policy, List<Long> targetJvms, boolean generatorIsThisJvm,
      Consumer<Progress> progress, List<Second> timeline) throws Exception {
    requireNonNull(load, "load");
    if (policy.off()) {
      return new BenchReport.Warmup(policy.describe(), 0, true, "no warm-up", List.of());
    }
    long self = ProcessHandle.current().pid();
    List<BenchReport.WarmupSlice> slices = new ArrayList<>();
    long start = System.nanoTime();
    double previousRate = -1;
    while (true) {
      double elapsed = (System.nanoTime() - start) / 1e9;
      Duration slice = policy.fixed() != null
          ? min(policy.slice(), policy.fixed().minusNanos((long) (elapsed * 1e9)))
          : policy.slice();
      CpuTime targetBefore = ProcessCpu.ofAll(targetJvms);
      CpuTime selfBefore = ProcessCpu.of(self);
      long t0 = System.nanoTime();
      Load.Round round = load.run(Duration.ZERO, slice, 0, progress);
      double wall = (System.nanoTime() - t0) / 1e9;
      timeline.addAll(round.recording().timeline());
      // Streams settle by their messages: a handful of calls a second says little.
      double rate = Math.max(round.recording().callsPerSecond(), round.recording().messagesPerSecond());
      double targetCompiler = compilerCores(ProcessCpu.ofAll(targetJvms).minus(targetBefore), wall);
      double selfCompiler = generatorIsThisJvm ? compilerCores(ProcessCpu.of(self).minus(selfBefore), wall) : -1;
      elapsed = (System.nanoTime() - start) / 1e9;
      slices.add(new BenchReport.WarmupSlice(elapsed, rate, selfCompiler, targetCompiler));
      if (policy.fixed() != null) {
        if (elapsed >= policy.fixed().toNanos() / 1e9 - 0.5) {
          return new BenchReport.Warmup(policy.describe(), elapsed, true, String.format(Locale.ROOT,
              "fixed %.0f s; last slice %.0f a second%s", elapsed, rate, compilers(targetCompiler, selfCompiler)),
              slices);
        }
        continue;
      }
      boolean rateSettled = previousRate > 0
          && Math.abs(rate - previousRate) / Math.max(rate, previousRate) <= policy.tolerance();
      boolean quiet = targetCompiler <= policy.quietCores() && selfCompiler <= policy.quietCores();
      if (elapsed >= policy.min().toSeconds() && rateSettled && quiet) {
        return new BenchReport.Warmup(policy.describe(), elapsed, true, String.format(Locale.ROOT,
            "settled after %.0f s: %.0f then %.0f a second (within %.0f%%)%s", elapsed, previousRate, rate,
            policy.tolerance() * 100, compilers(targetCompiler, selfCompiler)), slices);
      }
      if (elapsed >= policy.max().toSeconds()) {
        return new BenchReport.Warmup(policy.describe(), elapsed, false, String.format(Locale.ROOT,
            "did not settle within %.0f s (last slices %.0f and %.0f a second%s); measured anyway", elapsed,
            previousRate, rate, compilers(targetCompiler, selfCompiler)), slices);
      }
      previousRate = rate;
    }
  }

  /** Compiler threads' CPU over {@code seconds} of wall time, in cores; -1 when unknown. */
  static double compilerCores(CpuTime used, double seconds) {
    return used.known() && seconds > 0 ? used.compilerNanos() / 1e9 / seconds : -1;
  }

  private static String compilers(double target, double self) {
    StringBuilder s = new StringBuilder();
    if (target >= 0) {
      s.append(String.format(Locale.ROOT, "; the target's JIT compilers used %.1f%% of a core", target * 100));
    }
    if (self >= 0) {
      s.append(String.format(Locale.ROOT, "; the load generator's %.1f%%", self * 100));
    }
    return s.toString();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
