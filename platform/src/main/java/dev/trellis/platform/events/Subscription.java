package dev.trellis.platform.events;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.function.Predicate;

/**
 * One subscriber's view of an {@link OutboxFeed}: the events it wants, from the moment it subscribed, buffered up
 * to a bound. A subscriber that falls further behind than the bound is cut off ({@link #overflowed()}) instead of
 * growing the buffer: a slow client must not exhaust the server's memory.
 */
public final class Subscription<E> implements AutoCloseable {
  private final Predicate<? super E> wanted;
  private final long[] startHorizons;
  private final int capacity;
  private final Runnable onEvents;
  private final Runnable onClose;
  private final Queue<E> buffer = new ArrayDeque<>();
  private boolean overflowed;
  private boolean closed;

  Subscription(Predicate<? super E> wanted, long[] startHorizons, int capacity, Runnable onEvents, Runnable onClose) {
    this.wanted = wanted;
    this.startHorizons = startHorizons;
    this.capacity = capacity;
    this.onEvents = onEvents;
    this.onClose = onClose;
  }

  /** Called by the feed's poller; returns quickly and never blocks on the subscriber. */
  void offer(int shard, OutboxReader.Stamped<E> stamped) {
    // Transactions below the horizon taken at subscribe time had ended before the subscription began.
    if (stamped.txid() < startHorizons[shard] || !wanted.test(stamped.event())) {
      return;
    }
    synchronized (this) {
      if (closed || overflowed) {
        return;
      }
      if (buffer.size() >= capacity) {
        overflowed = true;
        buffer.clear();
      } else {
        buffer.add(stamped.event());
      }
    }
    onEvents.run();
  }

  /** The next buffered event, or null when there is none. */
  public synchronized E poll() {
    return buffer.poll();
  }

  /** True once the subscriber fell more than the buffer's capacity behind; no more events arrive then. */
  public synchronized boolean overflowed() {
    return overflowed;
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /** Ends the subscription; the subscriber's wake-up runs once more so it can see {@link #isClosed()}. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      buffer.clear();
    }
    onClose.run();
    onEvents.run();
  }
}
