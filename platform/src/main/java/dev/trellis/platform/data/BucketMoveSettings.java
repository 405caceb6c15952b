package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * How long a bucket move keeps the source rows after the directory names the target. A replica routes by the
 * version it read last, until its next directory poll: meanwhile it reads the source (and its writes there are
 * fenced off). Keeping the rows for more than two polls means one that read the directory just before the new
 * version, and a read it began then, still find them there: never a false NOT_FOUND.
 *
 * @param directoryPoll the replicas' {@code TRELLIS_DIRECTORY_POLL}: give the mover the same value as the services
 * @param sourceGrace {@code TRELLIS_MOVE_SOURCE_GRACE}: more than twice {@code directoryPoll}
 */
public record BucketMoveSettings(Duration directoryPoll, Duration sourceGrace) {
  public static final String SOURCE_GRACE = "TRELLIS_MOVE_SOURCE_GRACE";

  public BucketMoveSettings {
    Require.positive(ShardPoolSettings.DIRECTORY_POLL, requireNonNull(directoryPoll, "directoryPoll"));
    requireNonNull(sourceGrace, "sourceGrace");
    Require.that(sourceGrace.compareTo(directoryPoll.multipliedBy(2)) > 0, SOURCE_GRACE
        + " must be more than twice " + ShardPoolSettings.DIRECTORY_POLL + " (" + Require.text(directoryPoll)
        + "), got " + Require.text(sourceGrace));
  }

  /** Three polls of grace. */
  public static BucketMoveSettings forPoll(Duration directoryPoll) {
    return new BucketMoveSettings(directoryPoll, requireNonNull(directoryPoll, "directoryPoll").multipliedBy(3));
  }

  /** The default poll (2 s) and three of them. */
  public static BucketMoveSettings defaults() {
    return forPoll(ShardPoolSettings.DEFAULT_DIRECTORY_POLL);
  }

  /** {@code TRELLIS_DIRECTORY_POLL} (2s) and {@code TRELLIS_MOVE_SOURCE_GRACE} (three polls). */
  public static BucketMoveSettings fromSettings(Settings settings) {
    Duration poll = settings.duration(ShardPoolSettings.DIRECTORY_POLL, ShardPoolSettings.DEFAULT_DIRECTORY_POLL);
    return new BucketMoveSettings(poll, settings.duration(SOURCE_GRACE, poll.multipliedBy(3)));
  }
}
