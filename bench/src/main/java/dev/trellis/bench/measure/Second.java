package dev.trellis.bench.measure;

/**
 * One second of a load, for the throughput-over-time plot: calls that ended in it and their latencies. The last
 * second of a run is usually shorter; rates divide by its real length.
 *
 * @param startEpochMillis when the second began (wall clock), so that alternating sides share one time axis
 * @param millis how long it lasted (1000 but for the last of a run)
 * @param calls calls that completed in the second, failed ones included
 * @param errors calls that completed with a status other than OK (or HTTP 2xx)
 * @param messages response messages received (more than calls for server streams)
 * @param p50Micros median latency of the second's calls
 * @param p99Micros 99th percentile latency of the second's calls
 */
public record Second(long startEpochMillis, long millis, long calls, long errors, long messages, long p50Micros,
    long p99Micros) {
  /** Calls (or, for streams, messages when there are more) per second over the second's real length. */
  public double rate() {
    return millis <= 0 ? 0 : Math.max(calls, messages) * 1000.0 / millis;
  }
}
