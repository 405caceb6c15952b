package dev.trellis.platform.data;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The data layer's deadlines that may fire a little late: one daemon thread of the process runs every registered
 * {@link Check} each {@link #INTERVAL}. The pools' socket reads ({@link WatchedSocketFactory}) and connection waits
 * ({@link ShardConnections}) keep their bounds here instead of waiting with a timeout, because on a virtual thread
 * every timed wait arms a task on the JDK scheduler's delay thread and disarms it when the wait ends: two hand-offs
 * to one more thread, per database read and per wait for a connection (about 15 % of user-service's CPU under
 * GetUser load, async-profiler). A bound here costs a few volatile writes, and fires within the interval.
 */
final class CoarseDeadlines {
  /** How often the checks run: how late a deadline may fire. */
  static final Duration INTERVAL = Duration.ofMillis(100);

  private static final Set<Check> CHECKS = ConcurrentHashMap.newKeySet();

  static {
    Thread.ofPlatform().daemon().name("shard-deadlines").start(CoarseDeadlines::run);
  }

  private CoarseDeadlines() {
  }

  /** Something whose deadlines the thread looks at; it ends what has outlived its deadline. */
  @FunctionalInterface
  interface Check {
    void expire(long nowNanos);
  }

  static void watch(Check check) {
    CHECKS.add(check);
  }

  static void unwatch(Check check) {
    CHECKS.remove(check);
  }

  static boolean watches(Check check) {
    return CHECKS.contains(check);
  }

  private static void run() {
    while (true) {
      try {
        Thread.sleep(INTERVAL);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (Check check : CHECKS) {
        try {
          check.expire(now);
        } catch (RuntimeException e) {
          // one check's failure must not end the others' deadlines
        }
      }
    }
  }
}
