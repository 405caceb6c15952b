package dev.trellis.bench.report;

import dev.trellis.bench.measure.Second;
import java.util.List;
import java.util.Map;

/**
 * Everything one run of {@code ./trellis bench} measured, as written to report.json (schema {@value #SCHEMA}) and
 * drawn in report.html. Latencies are microseconds; rates are per second of measured time.
 *
 * @param command the command line that ran, as typed
 * @param sides the load first, then each baseline
 * @param ratios each side's rate against each baseline's, overall and per round
 */
public record BenchReport(String schema, String title, String startedAt, double wallSeconds, String command,
    Machine machine, Settings settings, List<Target> targets, List<Side> sides, List<Ratio> ratios,
    List<String> notes) {
  public static final String SCHEMA = "trellis-bench/1";

  /** The machine the run was on; only ratios within one run compare across machines. */
  public record Machine(int cores, long memoryBytes, String cpu, String os, String java, String hostname,
      double loadAverageAtStart, double loadAverageAtEnd) {}

  /**
   * How the run was shaped.
   *
   * @param warmup the warm-up policy, as given
   * @param rounds measured rounds per side, alternating between sides
   * @param roundSeconds the length of one round (0 when rounds end by count)
   * @param roundCount calls per round (0 when rounds end by time)
   * @param settleSeconds the start of every timed round that ran but was not measured
   */
  public record Settings(String model, String warmup, int rounds, double roundSeconds, long roundCount,
      double settleSeconds) {}

  /**
   * A target the bench started for the run.
   *
   * @param startupSeconds from its JVM's start to ready
   * @param rateLimits the limits raised for the run: variable to value
   * @param jvm the JVM flags it ran with, beyond the bench's defaults
   */
  public record Target(String name, String address, String main, double startupSeconds,
      Map<String, String> rateLimits, Map<String, String> env, List<String> jvm) {}

  /** One load or baseline. */
  public record Side(String name, String role, String engine, String target, String work, String model,
      String command, List<String> notes, Warmup warmup, List<Round> rounds, Summary total,
      List<Point> percentiles, List<Second> timeline, List<Second> warmupTimeline, List<Probe> probes,
      Cpu cpu) {}

  /**
   * Totals over every measured round of a side.
   *
   * @param statuses calls by status name
   */
  public record Summary(long calls, long errors, double seconds, double callsPerSecond, double messagesPerSecond,
      Latency latencyMicros, Map<String, Long> statuses) {}

  /** Latency percentiles, in microseconds. */
  public record Latency(long p50, long p90, long p99, long p999, long max, double mean, long count) {}

  /**
   * One measured round of a side.
   *
   * @param callsMade every call of the round, those of its settling seconds included (what CPU figures divide by)
   */
  public record Round(int round, String startedAt, double seconds, long calls, long errors, double callsPerSecond,
      double messagesPerSecond, long p50Micros, long p99Micros, long callsMade, Cpu cpu, List<String> notes) {}

  /** One point of the latency-by-percentile curve. */
  public record Point(double percentile, long micros) {}

  /**
   * CPU during a side's measured rounds, in cores (CPU seconds per second) and microseconds per call; -1 where it
   * could not be read (a remote target, an engine that ended before its last sample).
   */
  public record Cpu(double generatorCores, double targetCores, double databaseCores, double machineBusyCores,
      double generatorMicrosPerCall, double targetMicrosPerCall, double databaseMicrosPerCall,
      double targetCompilerCores) {}

  /**
   * How the side was warmed up, and why it stopped.
   *
   * @param verdict one sentence: settled (and how), or the cap reached
   */
  public record Warmup(String policy, double seconds, boolean settled, String verdict, List<WarmupSlice> slices) {}

  /**
   * One slice of a warm-up.
   *
   * @param generatorCompilerCores the load generator's JIT compiler threads, in cores (when its JVM is the
   *     bench's)
   * @param targetCompilerCores the target's JIT compiler threads, in cores (a local target)
   */
  public record WarmupSlice(double endSecond, double callsPerSecond, double generatorCompilerCores,
      double targetCompilerCores) {}

  /** A grpc-status read with the bench's own client, before or after an engine that cannot read it. */
  public record Probe(String when, String status, boolean ok) {}

  /**
   * One side's rate over a baseline's, from one run.
   *
   * @param value overall: total rate over total rate
   * @param perRound the same per pair of alternating rounds
   * @param median the median of {@code perRound}: what a burst of load from elsewhere on the machine moves least
   */
  public record Ratio(String side, String baseline, String measure, double value, List<Double> perRound,
      double median) {
    /** The ratio of {@code side} over {@code baseline}, overall and per round, with the rounds' median. */
    public static Ratio of(String side, String baseline, String measure, double value, List<Double> perRound) {
      List<Double> sorted = perRound.stream().sorted().toList();
      int n = sorted.size();
      double median = n == 0 ? value
          : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
      return new Ratio(side, baseline, measure, value, List.copyOf(perRound), median);
    }
  }
}
