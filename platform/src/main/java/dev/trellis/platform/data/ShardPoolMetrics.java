package dev.trellis.platform.data;

import java.util.List;

/**
 * Where telemetry reads the pool numbers of every shard. Kept as a tiny interface so that the data layer does not
 * depend on a metrics library: an exporter polls it from its observable gauges.
 */
public interface ShardPoolMetrics {
  /** One snapshot per shard, in shard order. */
  List<ShardPoolSnapshot> poolSnapshots();
}
