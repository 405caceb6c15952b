package dev.trellis.bench.report;

import dev.trellis.bench.measure.LogRecorder;
import dev.trellis.bench.measure.Recording;
import java.util.List;

/** Recordings and report sides made up for tests of what reads reports. */
public final class ReportFixtures {
  private ReportFixtures() {}

  /**
   * {@code seconds} of {@code perSecond} OK calls from {@code origin} (microseconds), of {@code latency} us and up to
   * 99 us more, plus one UNAVAILABLE call of 250 ms.
   */
  public static Recording recording(long origin, int seconds, int perSecond, long latency) {
    LogRecorder r = new LogRecorder(origin, 0);
    for (int s = 0; s < seconds; s++) {
      for (int i = 0; i < perSecond; i++) {
        r.add(origin + s * 1_000_000L + i * (1_000_000L / perSecond), latency + i % 100, "OK", true, 1);
      }
    }
    r.add(origin + 1_500_000, 250_000, "UNAVAILABLE", false, 0);
    return r.finish(seconds, origin + seconds * 1_000_000L);
  }

  /** A side that measured {@code rec} in one round. */
  public static BenchReport.Side side(String name, String role, Recording rec) {
    BenchReport.Cpu cpu = new BenchReport.Cpu(0.1, 1.2, 0.4, 1.9, 10, 150, 40, 0.01);
    return new BenchReport.Side(name, role, "h2load", "127.0.0.1:1", "GetUser", "closed loop", "h2load ...",
        List.of("a note"), new BenchReport.Warmup("until settled", 20, true, "settled", List.of(
            new BenchReport.WarmupSlice(5, 900, -1, 0.3))), List.of(new BenchReport.Round(1, "t", rec.seconds(),
        rec.calls(), rec.errors(), rec.callsPerSecond(), rec.messagesPerSecond(), rec.percentile(50),
        rec.percentile(99), rec.calls(), cpu, List.of())), ReportWriter.summary(rec), ReportWriter.percentiles(rec),
        rec.timeline(), List.of(), List.of(new BenchReport.Probe("before", "OK, 1 response", true)), cpu);
  }
}
