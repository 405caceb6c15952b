package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.measure.ProcessCpu;
import dev.trellis.bench.measure.ProcessCpu.CpuTime;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Runs an external load engine (h2load, pgbench) to its end: output to files in the run directory, and about once
 * a second a callback that reads what the engine has logged so far (for the progress line). Its CPU time is what the
 * kernel adds to the bench's own children time when the engine has exited and been waited for: exact, whole run.
 */
final class EngineProcess {
  private EngineProcess() {}

  /**
   * What the engine left.
   *
   * @param exitCode its exit status
   * @param stdout what it printed (its summary)
   * @param cpu its CPU time over the whole run
   */
  record Result(int exitCode, String stdout, String stderr, CpuTime cpu) {}

  /**
   * Runs {@code command}, calling {@code everySecond} with the engine's pid while it runs and once more after it
   * ended; gives up (and kills it) {@code limit} after the start.
   */
  static Result run(List<String> command, Map<String, String> env, Path outputPrefix, Duration limit,
      LongConsumer everySecond) throws IOException, InterruptedException {
    requireNonNull(command, "command");
    Path out = Path.of(outputPrefix + ".out");
    Path err = Path.of(outputPrefix + ".err");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    builder.environment().putAll(env);
    long self = ProcessHandle.current().pid();
    long childrenBefore = ProcessCpu.reapedChildrenNanos(self);
    Process process = builder.start();
    long pid = process.pid();
    long giveUp = System.nanoTime() + limit.toNanos();
    try {
      while (!process.waitFor(1, TimeUnit.SECONDS)) {
        everySecond.accept(pid);
        if (System.nanoTime() > giveUp) {
          process.destroyForcibly().waitFor();
          throw new IOException(command.get(0) + " still ran " + limit.toSeconds() + " s after it should have"
              + " ended; killed it (output in " + out + ")");
        }
      }
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
    everySecond.accept(pid);
    long childrenAfter = ProcessCpu.reapedChildrenNanos(self);
    CpuTime cpu = childrenBefore < 0 || childrenAfter < 0 ? CpuTime.UNKNOWN
        : new CpuTime(childrenAfter - childrenBefore, 0);
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8), cpu);
  }
}
