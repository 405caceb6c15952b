package dev.trellis.bench.measure;

import java.util.concurrent.locks.LockSupport;

/**
 * When each call of an open-loop load is due: call {@code i} at {@code origin + i / rate}, whatever happened to the
 * calls before it. A call's latency counts from this intended start, not from when the sender got round to it, so
 * that a stall of the server shows in every call it delayed (no coordinated omission).
 */
public final class OpenLoopSchedule {
  private final long originNanos;
  private final double intervalNanos;

  /**
   * @param originNanos {@link System#nanoTime} of the first call
   * @param callsPerSecond the target rate
   */
  public OpenLoopSchedule(long originNanos, double callsPerSecond) {
    if (!(callsPerSecond > 0)) {
      throw new IllegalArgumentException("callsPerSecond must be positive, got " + callsPerSecond);
    }
    this.originNanos = originNanos;
    this.intervalNanos = 1e9 / callsPerSecond;
  }

  /** The intended start of call {@code i} (0-based), in {@link System#nanoTime} terms. */
  public long intendedStartNanos(long i) {
    return originNanos + Math.round(i * intervalNanos);
  }

  /** The time between two calls, in microseconds (the expected interval of a correction). */
  public long intervalMicros() {
    return Math.max(1, Math.round(intervalNanos / 1_000));
  }

  /**
   * Waits until {@code deadlineNanos}; returns at once when the sender is behind. It parks rather than spins: a park
   * wakes some 50 us late, which the latency (counted from the intended start) includes, while spinning would cost
   * the load generator a core on a small machine.
   */
  public static void awaitNanos(long deadlineNanos) {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }
}
