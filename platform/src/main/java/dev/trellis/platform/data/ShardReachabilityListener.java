package dev.trellis.platform.data;

/** Hears when a shard's check finds it unreachable, or reachable again (see {@link ShardedDatabase#onReachability}). */
@FunctionalInterface
public interface ShardReachabilityListener {
  /** Runs on a prober thread: be quick. */
  void changed(Shard shard, boolean reachable);

  /** The shard left the shard set (drained): it is checked no more, and has no state to report. Be quick. */
  default void left(Shard shard) {}
}
