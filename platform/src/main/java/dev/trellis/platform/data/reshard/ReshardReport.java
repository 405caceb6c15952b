package dev.trellis.platform.data.reshard;

import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.route.BucketDirectory;
import java.time.Duration;
import java.util.List;

/**
 * A finished reshard of one database: buckets moved, rows copied, how long it took, and the write pause of each
 * bucket's cut-over (p50, p99, max over the buckets this run cut over; a move resumed after its cut-over has none).
 */
public record ReshardReport(String database, int buckets, long rowsCopied, Duration duration, Duration pauseP50,
    Duration pauseP99, Duration pauseMax, long directoryVersion, int shards) {
  static ReshardReport of(String database, List<BucketMover.Report> moves, Duration duration,
      BucketDirectory directory) {
    long[] pauses = moves.stream().mapToLong(m -> m.writePause().toNanos()).filter(p -> p > 0).sorted().toArray();
    int serving = (int) directory.shards().stream().filter(s -> s.serves()).count();
    return new ReshardReport(database, moves.size(), moves.stream().mapToLong(BucketMover.Report::rowsCopied).sum(),
        duration, percentile(pauses, 0.50), percentile(pauses, 0.99),
        Duration.ofNanos(pauses.length == 0 ? 0 : pauses[pauses.length - 1]), directory.version(), serving);
  }

  /** Nearest-rank percentile. */
  static Duration percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Duration.ZERO;
    }
    int rank = (int) Math.ceil(p * sorted.length);
    return Duration.ofNanos(sorted[Math.max(0, rank - 1)]);
  }

  /** The report as the program prints it. */
  public String describe() {
    return String.format("%s: %d shards serve (directory version %d); %d buckets moved, %d rows copied in %s;"
        + " write pause per bucket p50 %d ms, p99 %d ms, max %d ms", database, shards, directoryVersion, buckets,
        rowsCopied, ProgressPrinter.format(duration), pauseP50.toMillis(), pauseP99.toMillis(), pauseMax.toMillis());
  }
}
