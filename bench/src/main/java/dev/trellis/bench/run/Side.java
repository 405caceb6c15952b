package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.engine.Load;
import dev.trellis.bench.measure.Recording;
import dev.trellis.bench.measure.Second;
import dev.trellis.bench.report.BenchReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One side of a run as the runner tracks it: its load, what it knows of the processes to account for, and what it
 * measured so far.
 */
final class Side {
  final String role;
  final Load load;
  /** The target's JVMs, when the bench started it: its own, and those of the targets it needs (the edge's service). */
  final List<Long> targetJvms;
  /** Whether the side's work reaches the local shards (their CPU is its database CPU). */
  final boolean usesDatabase;
  /** Whether the load generator runs in the bench's JVM (its JIT matters to the warm-up). */
  final boolean generatorInThisJvm;
  /** Reads the grpc-status of one call, for loads whose engine cannot. */
  final Optional<Supplier<BenchReport.Probe>> probe;
  /** Whether the target exports spans to the bench's receiver. */
  final boolean traced;

  final List<Load.Round> rounds = new ArrayList<>();
  final List<BenchReport.Round> roundReports = new ArrayList<>();
  final List<BenchReport.Probe> probes = new ArrayList<>();
  final List<Second> warmupTimeline = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  BenchReport.Warmup warmup;
  long spans;
  /** CPU seconds of the bench's JVM (the OTLP receiver) during a traced side's rounds, when the engine is external. */
  double receiverCpuSeconds;
  double measuredSeconds;

  Side(String role, Load load, List<Long> targetJvms, boolean usesDatabase, boolean generatorInThisJvm,
      Optional<Supplier<BenchReport.Probe>> probe, boolean traced) {
    this.role = requireNonNull(role, "role");
    this.load = requireNonNull(load, "load");
    this.targetJvms = List.copyOf(targetJvms);
    this.usesDatabase = usesDatabase;
    this.generatorInThisJvm = generatorInThisJvm;
    this.probe = probe;
    this.traced = traced;
  }

  String name() {
    return load.info().name();
  }

  Recording total() {
    return Recording.merge(rounds.stream().map(Load.Round::recording).toList());
  }
}
