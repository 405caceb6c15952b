package dev.trellis.platform.data.reshard;

import java.time.Duration;

/**
 * Where a reshard of one database is: what a progress bar shows.
 *
 * @param database the database ("users")
 * @param moved buckets moved so far in this run
 * @param total buckets this run moves
 * @param rowsCopied rows copied so far (catch-up copies included)
 * @param elapsed time since the run started
 */
public record ReshardProgress(String database, int moved, int total, long rowsCopied, Duration elapsed) {
  /** Rows copied per second so far. */
  public double rowsPerSecond() {
    double seconds = elapsed.toNanos() / 1e9;
    return seconds <= 0 ? 0 : rowsCopied / seconds;
  }

  /** Buckets moved per second so far. */
  public double bucketsPerSecond() {
    double seconds = elapsed.toNanos() / 1e9;
    return seconds <= 0 ? 0 : moved / seconds;
  }

  /** The time left at the pace so far (buckets per second); zero when done, unknown (null) before the first. */
  public Duration remaining() {
    if (moved >= total) {
      return Duration.ZERO;
    }
    if (moved == 0) {
      return null;
    }
    return Duration.ofNanos(elapsed.toNanos() / moved * (total - moved));
  }
}
