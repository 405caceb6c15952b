package dev.trellis.platform.events;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * One subscriber's view of an {@link OutboxFeed}: the events it wants, from the moment it subscribed, buffered up
 * to a bound. A subscriber that falls further behind than the bound is cut off ({@link #overflowed()}) instead of
 * growing the buffer: a slow client must not exhaust the server's memory.
 */
public final class Subscription<E> implements AutoCloseable {
  /** The start of a shard the subscription does not follow: no transaction id reaches it. */
  static final long NOT_FOLLOWED = Long.MAX_VALUE;
  /** The start of a shard whose horizon could not be read: every event the feed delivers from it. */
  static final long FROM_WATERMARK = Long.MIN_VALUE;

  private final Predicate<? super E> wanted;
  private final long[] startHorizons;
  private final Set<Integer> unavailableShards;
  private final int capacity;
  private final Runnable onEvents;
  private final Runnable onClose;
  private final Queue<E> buffer = new ArrayDeque<>();
  private boolean overflowed;
  private boolean closed;

  Subscription(Predicate<? super E> wanted, long[] startHorizons, Set<Integer> unavailableShards, int capacity,
      Runnable onEvents, Runnable onClose) {
    this.wanted = wanted;
    this.startHorizons = startHorizons;
    this.unavailableShards = Collections.unmodifiableSet(new TreeSet<>(unavailableShards));
    this.capacity = capacity;
    this.onEvents = onEvents;
    this.onClose = onClose;
  }

  /** Called by the feed's poller; returns quickly and never blocks on the subscriber. */
  void offer(int shard, OutboxReader.Stamped<E> stamped) {
    // Transactions below the horizon taken at subscribe time had ended before the subscription began; a shard
    // not followed starts at "never"; one that joined after it subscribed, at the feed's watermark.
    long start = shard < startHorizons.length ? startHorizons[shard] : FROM_WATERMARK;
    if (stamped.txid() < start || !wanted.test(stamped.event())) {
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

  /**
   * The shards it follows that could not be read when it subscribed (by index, in order): their events arrive
   * once they can be read again, none lost. Empty when every shard answered.
   */
  public Set<Integer> unavailableShards() {
    return unavailableShards;
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
