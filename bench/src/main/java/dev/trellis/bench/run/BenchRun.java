package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.engine.ExternalEngines;
import dev.trellis.bench.engine.H2loadLoad;
import dev.trellis.bench.engine.Load;
import dev.trellis.bench.engine.PgbenchLoad;
import dev.trellis.bench.measure.ProcessCpu;
import dev.trellis.bench.measure.ProcessCpu.CpuTime;
import dev.trellis.bench.measure.Recording;
import dev.trellis.bench.report.BenchReport;
import dev.trellis.bench.report.MachineInfo;
import dev.trellis.bench.report.ReportWriter;
import dev.trellis.bench.targets.BaselineProfile;
import dev.trellis.bench.targets.BenchConfig;
import dev.trellis.bench.targets.LocalTargets;
import dev.trellis.platform.config.ConfigException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One run of {@code ./trellis bench}: starts the local targets, fills the pools, builds the load and its baselines,
 * probes, warms every side up, measures the rounds alternating between sides (so that the machine's noise hits them
 * alike), probes again, and writes the report.
 */
public final class BenchRun {
  /**
   * The bench's own JVM logs to a file of the run (pools, shards, gRPC), so the terminal keeps the progress line and
   * the summary; the targets' JVMs log as every service does.
   */
  public static final String LOG_CONFIGURATION = "/bench-logback.xml";

  private final BenchOptions options;
  private final BenchConfig config;
  private final PrintStream out;
  private final ProgressLine progress;
  private final List<String> notes = new ArrayList<>();

  public BenchRun(BenchOptions options, BenchConfig config, PrintStream out, PrintStream err) {
    this.options = requireNonNull(options, "options");
    this.config = requireNonNull(config, "config");
    this.out = requireNonNull(out, "out");
    this.progress = new ProgressLine(err, options.progress());
  }

  /** Thrown when an external engine the run needs is not installed. */
  public static final class MissingEngineException extends RuntimeException {
    MissingEngineException(String message) {
      super(message);
    }
  }

  public BenchReport run() throws Exception {
    Files.createDirectories(engineDir());
    Instant started = Instant.now();
    double loadAtStart = MachineInfo.loadAverage();
    List<BaselineProfile> baselines = options.baselines().stream().map(config::baseline).toList();
    checkEngines(baselines);
    Set<String> localNames = new LinkedHashSet<>();
    options.local().ifPresent(localNames::add);
    baselines.stream().filter(BaselineProfile::runsOnTarget).forEach(b -> localNames.add(b.target()));
    if (!localNames.isEmpty() && options.local().isEmpty() && options.target().isEmpty()
        && options.edge().isEmpty()) {
      throw new ConfigException("say where the load goes: --local NAME or --target HOST:PORT");
    }
    LocalTargets targets = localNames.isEmpty() ? null : LocalTargets.start(config, List.copyOf(localNames),
        options.out(), options.seed(), options.targetEnv(), options.targetJvm(), options.keepLogs(),
        progress.messages());
    List<Side> sides = new ArrayList<>();
    try {
      new SideBuilder(options, engineDir(), notes).build(targets, baselines, sides);
      measure(targets, sides);
      BenchReport report = report(started, loadAtStart, targets, sides);
      ReportWriter.write(report, options.out());
      printSummary(report);
      return report;
    } finally {
      for (Side side : sides) {
        side.load.close();
      }
      if (targets != null) {
        targets.close();
      }
    }
  }

  /** Where the engines' scripts, frames and outputs go. */
  private Path engineDir() {
    return options.out().resolve("engine");
  }

  private void checkEngines(List<BaselineProfile> baselines) {
    List<String> needed = new ArrayList<>();
    if (options.engine().equals("h2load")) {
      needed.add(H2loadLoad.BINARY);
    }
    baselines.stream().filter(b -> b.kind().equals("pgbench")).forEach(b -> needed.add(PgbenchLoad.BINARY));
    List<String> missing = ExternalEngines.missing(needed);
    if (!missing.isEmpty()) {
      throw new MissingEngineException(ExternalEngines.missingMessage(missing));
    }
  }

  private void measure(LocalTargets targets, List<Side> sides) throws Exception {
    for (Side side : sides) {
      side.probe.ifPresent(p -> side.probes.add(withWhen(p.get(), "before")));
    }
    for (Side side : sides) {
      progress.say("warming up " + side.name() + " (" + options.warmup().describe() + ")");
      side.warmup = WarmUp.run(side.load, options.warmup(), side.targetJvms, side.generatorInThisJvm,
          progress.forRun("warm-up", side.name()), side.warmupTimeline);
      progress.say(side.name() + ": " + side.warmup.verdict());
    }
    for (int r = 1; r <= options.rounds(); r++) {
      for (Side side : sides) {
        measureRound(targets, side, r);
      }
    }
    for (Side side : sides) {
      side.probe.ifPresent(p -> side.probes.add(withWhen(p.get(), "after")));
    }
    progress.finish();
  }

  private static BenchReport.Probe withWhen(BenchReport.Probe probe, String when) {
    return new BenchReport.Probe(when, probe.status(), probe.ok());
  }

  private void measureRound(LocalTargets targets, Side side, int round) throws Exception {
    long self = ProcessHandle.current().pid();
    List<Long> databases = side.usesDatabase && targets != null ? targets.databaseRoots() : List.of();
    CpuTime targetBefore = ProcessCpu.ofAll(side.targetJvms);
    CpuTime databaseBefore = databases.isEmpty() ? CpuTime.UNKNOWN : ProcessCpu.ofTrees(databases);
    long machineBefore = ProcessCpu.machineBusyNanos();
    long spansBefore = side.traced ? targets.otlpReceiver().orElseThrow().spanCount() : 0;
    CpuTime selfBefore = ProcessCpu.of(self);
    String startedAt = Instant.now().toString();
    long t0 = System.nanoTime();
    Load.Round result = side.load.run(options.count() > 0 ? Duration.ZERO : options.settle(),
        options.roundDuration(), options.countPerRound(),
        progress.forRun("round " + round + "/" + options.rounds(), side.name()));
    double wall = (System.nanoTime() - t0) / 1e9;
    CpuTime target = ProcessCpu.ofAll(side.targetJvms).minus(targetBefore);
    CpuTime database = databases.isEmpty() ? CpuTime.UNKNOWN : ProcessCpu.ofTrees(databases).minus(databaseBefore);
    long machineAfter = ProcessCpu.machineBusyNanos();
    if (side.traced) {
      // Spans of the round's last calls leave with the next export (every 200 ms): wait a little for them.
      Thread.sleep(500);
      side.spans += targets.otlpReceiver().orElseThrow().spanCount() - spansBefore;
      CpuTime receiver = ProcessCpu.of(self).minus(selfBefore);
      if (receiver.known() && !side.generatorInThisJvm) {
        side.receiverCpuSeconds += receiver.totalNanos() / 1e9;
      }
    }
    side.measuredSeconds += wall;
    side.rounds.add(result);
    Recording rec = result.recording();
    // CPU covers the whole run, settling included: per call it divides by every call the run made.
    BenchReport.Cpu cpu = cpu(result.generatorCpu(), target, database,
        machineBefore < 0 || machineAfter < 0 ? -1 : machineAfter - machineBefore, wall, result.allCalls());
    side.roundReports.add(new BenchReport.Round(round, startedAt, rec.seconds(), rec.calls(), rec.errors(),
        rec.callsPerSecond(), rec.messagesPerSecond(), rec.percentile(50), rec.percentile(99), result.allCalls(), cpu,
        result.notes()));
    progress.say(String.format(Locale.ROOT, "round %d/%d %-28s %,10.0f calls/s  p50 %s  p99 %s  errors %,d",
        round, options.rounds(), side.name(), rec.callsPerSecond(), ProgressLine.millis(rec.percentile(50)),
        ProgressLine.millis(rec.percentile(99)), rec.errors()));
  }

  static BenchReport.Cpu cpu(CpuTime generator, CpuTime target, CpuTime database, long machineBusyNanos,
      double seconds, long calls) {
    return new BenchReport.Cpu(cores(generator, seconds), cores(target, seconds), cores(database, seconds),
        machineBusyNanos < 0 ? -1 : machineBusyNanos / 1e9 / seconds, perCall(generator, calls),
        perCall(target, calls), perCall(database, calls),
        target.known() ? target.compilerNanos() / 1e9 / seconds : -1);
  }

  private static double cores(CpuTime used, double seconds) {
    return used.known() && seconds > 0 ? used.totalNanos() / 1e9 / seconds : -1;
  }

  private static double perCall(CpuTime used, long calls) {
    return used.known() && calls > 0 ? used.totalNanos() / 1e3 / calls : -1;
  }

  private BenchReport report(Instant started, double loadAtStart, LocalTargets targets, List<Side> sides) {
    List<BenchReport.Side> sideReports = new ArrayList<>();
    for (Side side : sides) {
      Recording total = side.total();
      List<String> sideNotes = new ArrayList<>(side.load.info().notes());
      side.rounds.forEach(r -> sideNotes.addAll(r.notes()));
      if (side.traced) {
        long made = side.roundReports.stream().mapToLong(BenchReport.Round::callsMade).sum();
        sideNotes.add(String.format(Locale.ROOT, "tracing: the bench's OTLP receiver got %,d spans while the rounds"
            + " made %,d calls, settling included (%.2f per call)", side.spans, made,
            made == 0 ? 0 : (double) side.spans / made));
        if (side.receiverCpuSeconds > 0) {
          sideNotes.add(String.format(Locale.ROOT, "the receiver (in the bench's JVM, on the same cores) used %.2f"
              + " cores while this side ran", side.receiverCpuSeconds / side.measuredSeconds));
        }
      }
      sideReports.add(new BenchReport.Side(side.name(), side.role, side.load.info().engine(),
          side.load.info().target(), side.load.info().work(), side.load.info().model(),
          side.load.info().command(), sideNotes, side.warmup, side.roundReports, ReportWriter.summary(total),
          ReportWriter.percentiles(total), total.timeline(), side.warmupTimeline, side.probes,
          averageCpu(side.roundReports)));
    }
    // Each side over every baseline listed after it: list baselines from the most work to the least (chain with
    // tracing, then bare grpc-java; raw JDBC, then pgbench) and every ratio printed is one worth reading.
    List<BenchReport.Ratio> ratios = new ArrayList<>();
    for (int j = 1; j < sides.size(); j++) {
      Side baseline = sides.get(j);
      for (int i = 0; i < j; i++) {
        Side side = sides.get(i);
        List<Double> perRound = new ArrayList<>();
        for (int r = 0; r < Math.min(side.rounds.size(), baseline.rounds.size()); r++) {
          perRound.add(ratio(side.rounds.get(r).recording().callsPerSecond(),
              baseline.rounds.get(r).recording().callsPerSecond()));
        }
        ratios.add(BenchReport.Ratio.of(side.name(), baseline.name(), "calls/s",
            ratio(side.total().callsPerSecond(), baseline.total().callsPerSecond()), perRound));
      }
    }
    List<BenchReport.Target> targetReports = new ArrayList<>();
    if (targets != null) {
      for (LocalTargets.Started t : targets.all()) {
        targetReports.add(new BenchReport.Target(t.name(), t.host() + ":" + t.port(), t.profile().main(),
            t.startup().toMillis() / 1000.0, t.limits(), t.env(), t.jvm()));
        if (!t.limits().isEmpty()) {
          notes.add("rate limits of " + t.name() + " raised for the run to " + LocalTargets.RAISED_LIMIT + " ("
              + String.join(", ", t.limits().keySet()) + "): the limiters still run on every call and refuse"
              + " none");
        }
      }
    } else {
      notes.add("the target's own rate limits apply (the bench did not start it): RESOURCE_EXHAUSTED in the"
          + " statuses means they refused calls");
    }
    String title = options.name() + (options.baselines().isEmpty() ? ""
        : " vs " + String.join(", ", options.baselines()));
    return new BenchReport(BenchReport.SCHEMA, title, started.toString(),
        Duration.between(started, Instant.now()).toMillis() / 1000.0, options.command(),
        MachineInfo.current(loadAtStart), new BenchReport.Settings(options.model().describe(),
        options.warmup().describe(), options.rounds(),
        options.count() > 0 ? 0 : options.roundDuration().toMillis() / 1000.0, options.countPerRound(),
        options.count() > 0 ? 0 : options.settle().toMillis() / 1000.0),
        targetReports, sideReports, ratios, List.copyOf(notes));
  }

  private static double ratio(double a, double b) {
    return b > 0 ? a / b : 0;
  }

  /** A side's CPU over its rounds: the mean of the rounds' figures (each known one). */
  private static BenchReport.Cpu averageCpu(List<BenchReport.Round> rounds) {
    double[] sums = new double[8];
    int[] counts = new int[8];
    for (BenchReport.Round round : rounds) {
      BenchReport.Cpu c = round.cpu();
      double[] values = {c.generatorCores(), c.targetCores(), c.databaseCores(), c.machineBusyCores(),
          c.generatorMicrosPerCall(), c.targetMicrosPerCall(), c.databaseMicrosPerCall(), c.targetCompilerCores()};
      for (int i = 0; i < values.length; i++) {
        if (values[i] >= 0) {
          sums[i] += values[i];
          counts[i]++;
        }
      }
    }
    double[] m = new double[8];
    for (int i = 0; i < m.length; i++) {
      m[i] = counts[i] == 0 ? -1 : sums[i] / counts[i];
    }
    return new BenchReport.Cpu(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
  }

  private void printSummary(BenchReport report) {
    out.println();
    out.println(ReportWriter.text(report));
    out.println("report: " + options.out().resolve("report.html") + " (and report.json)");
  }
}
