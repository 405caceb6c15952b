package dev.trellis.platform.events;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds subscribers from an outbox that every replica of a service writes to, so a subscriber sees a change
 * whatever replica made it. One polling thread per shard reads final events by transaction-id watermark (see
 * {@link OutboxReader}) while anyone is subscribed, and hands them to every matching subscription.
 *
 * <p>Polling rather than LISTEN/NOTIFY: a poll of an indexed outbox every interval is cheap, needs no dedicated
 * connection per shard outside the pool, works through connection poolers such as PgBouncer, and cannot miss a
 * wake-up; the cost is up to one interval of latency. A shard that fails keeps its watermark, so when it returns
 * its subscribers get what they missed while the other shards keep flowing.
 */
public final class OutboxFeed<E> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OutboxFeed.class);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final OutboxReader<E> reader;
  private final Duration interval;
  private final Set<Subscription<E>> subscriptions = new CopyOnWriteArraySet<>();
  /** Guards the watermarks and the "is anyone subscribed" transitions. */
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition subscribed = lock.newCondition();
  /** Per shard: where the next read starts; null while nobody is subscribed. */
  private final Long[] watermarks;
  private final List<Thread> pollers;
  private volatile boolean closed;

  private OutboxFeed(OutboxReader<E> reader, Duration interval, String name) {
    this.reader = reader;
    this.interval = interval;
    this.watermarks = new Long[reader.shardCount()];
    Thread.Builder threads = Thread.ofVirtual().name(name + "-outbox-", 0);
    this.pollers = java.util.stream.IntStream.range(0, reader.shardCount())
        .mapToObj(shard -> threads.start(() -> poll(shard)))
        .toList();
  }

  /**
   * Starts one poller per shard; they idle until someone subscribes.
   *
   * @param interval how often each shard is read while someone is subscribed
   * @param name names the poller threads, for thread dumps
   */
  public static <E> OutboxFeed<E> start(OutboxReader<E> reader, Duration interval, String name) {
    requireNonNull(reader, "reader");
    requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive");
    }
    return new OutboxFeed<>(reader, interval, requireNonNull(name, "name"));
  }

  /**
   * Subscribes to the events that match, committed from now on. Reads the current horizon of every shard first, so
   * a change committed after this returns is never missed; a shard that is down fails the subscription.
   *
   * @param capacity the most events buffered for this subscriber before it is cut off
   * @param onEvents run on a poller thread after events were buffered: wake the sender, do not block
   */
  public Subscription<E> subscribe(Predicate<? super E> wanted, int capacity, Runnable onEvents) {
    requireNonNull(wanted, "wanted");
    requireNonNull(onEvents, "onEvents");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    long[] horizons = new long[watermarks.length];
    for (int shard = 0; shard < horizons.length; shard++) {
      horizons[shard] = reader.horizon(shard);
    }
    Subscription<E>[] self = new Subscription[1];
    self[0] = new Subscription<>(wanted, horizons, capacity, onEvents, () -> subscriptions.remove(self[0]));
    lock.lock();
    try {
      for (int shard = 0; shard < horizons.length; shard++) {
        if (watermarks[shard] == null) {
          watermarks[shard] = horizons[shard];
        }
      }
      subscriptions.add(self[0]);
      subscribed.signalAll();
    } finally {
      lock.unlock();
    }
    return self[0];
  }

  /** How many subscriptions are open. */
  public int subscriberCount() {
    return subscriptions.size();
  }

  private void poll(int shard) {
    boolean failing = false;
    while (!closed) {
      try {
        Long from = awaitWatermark(shard);
        if (from == null) {
          return;
        }
        boolean more = readAndDeliver(shard, from);
        if (failing) {
          failing = false;
          log.info("reading the outbox of shard {} works again", shard);
        }
        if (more) {
          continue; // a cut batch: the rest is ready now, not one interval later
        }
      } catch (RuntimeException e) {
        // A shard that is down: keep the watermark and try again next round; say so once, not every round.
        if (!failing) {
          failing = true;
          log.warn("reading the outbox of shard {} failed; retrying every {}: {}", shard, interval, e.toString());
        }
      }
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Waits until someone is subscribed; returns where to read from, or null when the feed closed. */
  private Long awaitWatermark(int shard) {
    lock.lock();
    try {
      while (subscriptions.isEmpty() && !closed) {
        // Nobody listens: forget the position, so the next subscriber starts at its own horizon.
        watermarks[shard] = null;
        subscribed.awaitUninterruptibly();
      }
      return closed ? null : watermarks[shard];
    } finally {
      lock.unlock();
    }
  }

  /** Delivers one batch; returns whether it was cut before the horizon. */
  private boolean readAndDeliver(int shard, long from) {
    OutboxReader.Batch<E> batch = reader.readFrom(shard, from);
    for (OutboxReader.Stamped<E> event : batch.events()) {
      for (Subscription<E> subscription : subscriptions) {
        subscription.offer(shard, event);
      }
    }
    lock.lock();
    try {
      if (watermarks[shard] != null && watermarks[shard] == from) {
        watermarks[shard] = batch.nextWatermark();
      }
    } finally {
      lock.unlock();
    }
    return batch.more();
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      subscribed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Subscription<E> subscription : subscriptions) {
      subscription.close();
    }
    pollers.forEach(Thread::interrupt);
    // Let a read in progress finish before the caller closes the pools under it.
    for (Thread poller : pollers) {
      try {
        poller.join(CLOSE_WAIT);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
