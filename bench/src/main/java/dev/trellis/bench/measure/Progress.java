package dev.trellis.bench.measure;

/** A running load's totals so far, for the live progress line. */
public record Progress(long calls, long errors, long messages, long p50Micros, long p99Micros) {
  public static final Progress NONE = new Progress(0, 0, 0, 0, 0);
}
