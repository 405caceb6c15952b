package dev.trellis.platform.data;

import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * HikariCP's metrics hook for one pool: counts what the pool's gauges cannot show (timeouts, waits). The gauges
 * come live from the pool's MXBean view (HikariCP's PoolStats caches them for a second).
 */
final class PoolCounters implements IMetricsTracker, MetricsTrackerFactory {
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder acquired = new LongAdder();
  private final LongAdder acquireNanos = new LongAdder();
  /** Callers waiting for their turn at the pool's door ({@link ShardConnections}), not inside the pool. */
  private final AtomicInteger waiting = new AtomicInteger();

  @Override
  public IMetricsTracker create(String poolName, PoolStats poolStats) {
    return this;
  }

  @Override
  public void recordConnectionAcquiredNanos(long elapsedAcquiredNanos) {
    acquired.increment();
    acquireNanos.add(elapsedAcquiredNanos);
  }

  @Override
  public void recordConnectionTimeout() {
    timeouts.increment();
  }

  void waitBegins() {
    waiting.incrementAndGet();
  }

  void waitEnds(long nanos) {
    waiting.decrementAndGet();
    acquireNanos.add(nanos);
  }

  ShardPoolSnapshot snapshot(String shard, int max, HikariPoolMXBean pool) {
    int active = pool == null ? 0 : pool.getActiveConnections();
    int idle = pool == null ? 0 : pool.getIdleConnections();
    int total = pool == null ? 0 : pool.getTotalConnections();
    int pending = waiting.get() + (pool == null ? 0 : pool.getThreadsAwaitingConnection());
    return new ShardPoolSnapshot(shard, active, idle, total, max, pending, timeouts.sum(), acquired.sum(),
        Duration.ofNanos(acquireNanos.sum()));
  }
}
