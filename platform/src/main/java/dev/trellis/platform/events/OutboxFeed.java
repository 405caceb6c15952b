package dev.trellis.platform.events;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds subscribers from an outbox that every replica of a service writes to, so a subscriber sees a change
 * whatever replica made it. One polling thread per shard reads final events by transaction-id watermark (see
 * {@link OutboxReader}) and hands them to the subscriptions that follow that shard.
 *
 * <p>Polling rather than LISTEN/NOTIFY: a poll of an indexed outbox every interval is cheap, needs no dedicated
 * connection per shard outside the pool, works through connection poolers such as PgBouncer, and cannot miss a
 * wake-up; the cost is up to one interval of latency.
 *
 * <p>Shards fail alone. A subscription needs only the shards it follows ({@link #subscribe(Collection, Predicate,
 * int, Runnable)}), and a shard that cannot be read when it subscribes does not stop it: it starts on the others,
 * {@link Subscription#unavailableShards()} names the missing ones, and their events follow when they return, from
 * where the feed stood on that shard when the subscription began. A shard that fails later keeps its watermark the
 * same way. Each shard's watermark is where its poller will read next: while anyone follows the shard it moves as
 * events are delivered; while nobody does, the poller keeps it near the shard's horizon with a cheap read every
 * {@link #IDLE_INTERVAL} or so, so that a subscription that cannot read a shard still has a place to start from.
 * Either way no event is delivered to a subscription twice, and none committed after it subscribed is missed.
 */
public final class OutboxFeed<E> implements AutoCloseable {
  /** How often an idle shard's watermark catches up with its horizon (at least the poll interval). */
  public static final Duration IDLE_INTERVAL = Duration.ofSeconds(1);
  /** How long subscribing waits for a shard's horizon before it starts without that shard. */
  static final Duration HORIZON_WAIT = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(OutboxFeed.class);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final OutboxReader<E> reader;
  private final Duration interval;
  private final Duration idleInterval;
  private final List<Lane<E>> lanes;
  private final Set<Subscription<E>> subscriptions = new CopyOnWriteArraySet<>();
  private final ExecutorService horizonReads;
  private final List<Thread> pollers;
  private volatile boolean closed;

  private OutboxFeed(OutboxReader<E> reader, Duration interval, String name) {
    this.reader = reader;
    this.interval = interval;
    this.idleInterval = interval.compareTo(IDLE_INTERVAL) > 0 ? interval : IDLE_INTERVAL;
    this.lanes = IntStream.range(0, reader.shardCount()).mapToObj(Lane<E>::new).toList();
    this.horizonReads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-horizon-", 0).factory());
    Thread.Builder threads = Thread.ofVirtual().name(name + "-outbox-", 0);
    this.pollers = lanes.stream().map(lane -> threads.start(() -> poll(lane))).toList();
  }

  /**
   * Starts one poller per shard.
   *
   * @param interval how often each followed shard is read
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

  /** How many shards the feed reads. */
  public int shardCount() {
    return lanes.size();
  }

  /**
   * Subscribes to the events of every shard that match, committed from now on (see
   * {@link #subscribe(Collection, Predicate, int, Runnable)}).
   */
  public Subscription<E> subscribe(Predicate<? super E> wanted, int capacity, Runnable onEvents) {
    return subscribe(IntStream.range(0, lanes.size()).boxed().toList(), wanted, capacity, onEvents);
  }

  /**
   * Subscribes to the events of {@code shards} that match, committed from now on: a change committed after this
   * returns is never missed, and none is delivered twice. The other shards' matching events follow too, from the
   * moment it joins them, so an entity whose bucket moves to another shard stays followed; an entity's events
   * written there after the move come after its events on the shard it left (see {@link OutboxReader.Handoff}). The horizon of each shard is read first, all at once; a
   * shard that does not answer within about a second (or is known to be failing) does not fail the subscription:
   * it is listed in {@link Subscription#unavailableShards()}, and its events are delivered when it can be read
   * again, starting where the feed stood on it when this was called.
   *
   * @param shards the shards whose events the subscriber needs (those holding the entities it follows)
   * @param capacity the most events buffered for this subscriber before it is cut off
   * @param onEvents run on a poller thread after events were buffered: wake the sender, do not block
   */
  public Subscription<E> subscribe(Collection<Integer> shards, Predicate<? super E> wanted, int capacity,
      Runnable onEvents) {
    requireNonNull(shards, "shards");
    requireNonNull(wanted, "wanted");
    requireNonNull(onEvents, "onEvents");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    TreeSet<Integer> followed = new TreeSet<>(shards);
    if (followed.isEmpty() || followed.first() < 0 || followed.last() >= lanes.size()) {
      throw new IllegalArgumentException("shards must be a non-empty subset of [0, " + lanes.size() + "), got "
          + shards);
    }
    List<CompletableFuture<Long>> horizons = new ArrayList<>();
    for (int shard : followed) {
      Lane<E> lane = lanes.get(shard);
      horizons.add(lane.failing ? CompletableFuture.failedFuture(new IllegalStateException("failing"))
          : CompletableFuture.supplyAsync(() -> reader.horizon(lane.shard), horizonReads));
    }
    long[] starts = new long[lanes.size()];
    java.util.Arrays.fill(starts, Subscription.NOT_FOLLOWED);
    Set<Integer> unavailable = new TreeSet<>();
    long waitUntil = System.nanoTime() + HORIZON_WAIT.toNanos();
    int i = 0;
    for (int shard : followed) {
      Long horizon = awaitHorizon(horizons.get(i++), waitUntil);
      if (horizon == null) {
        unavailable.add(shard);
      }
      starts[shard] = horizon == null ? Subscription.FROM_WATERMARK : horizon;
    }
    for (int shard = 0; shard < lanes.size(); shard++) {
      if (!followed.contains(shard)) {
        starts[shard] = Subscription.FROM_WATERMARK; // an entity that moves here later: its events from now on
      }
    }
    Subscription<E>[] self = new Subscription[1];
    self[0] = new Subscription<>(wanted, starts, unavailable, capacity, onEvents, () -> unsubscribe(self[0]));
    subscriptions.add(self[0]);
    for (Lane<E> lane : lanes) {
      lane.join(self[0], starts[lane.shard]);
    }
    if (closed) {
      self[0].close();
    }
    return self[0];
  }

  private static Long awaitHorizon(CompletableFuture<Long> horizon, long waitUntil) {
    try {
      return horizon.get(Math.max(0, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void unsubscribe(Subscription<E> subscription) {
    subscriptions.remove(subscription);
    for (Lane<E> lane : lanes) {
      lane.leave(subscription);
    }
  }

  /** How many subscriptions are open. */
  public int subscriberCount() {
    return subscriptions.size();
  }

  private void poll(Lane<E> lane) {
    while (!closed) {
      boolean followed = lane.followed();
      boolean more = false;
      try {
        if (followed) {
          more = readAndDeliver(lane);
        } else {
          lane.idle(reader.horizon(lane.shard));
        }
        if (lane.failing) {
          lane.failing = false;
          log.info("reading the outbox of shard {} works again", lane.shard);
        }
      } catch (RuntimeException e) {
        // A shard that is down: keep the watermark and try again next round; say so once, not every round.
        if (!lane.failing) {
          lane.failing = true;
          log.warn("reading the outbox of shard {} failed; retrying every {}: {}", lane.shard,
              followed ? interval : idleInterval, e instanceof ApiException api ? api.getMessage() : e.toString());
        }
      }
      if (!more && !lane.await(followed ? interval : idleInterval, followed, () -> closed)) {
        return;
      }
    }
  }

  /** Delivers one batch to the lane's subscribers; returns whether it was cut before the horizon. */
  private boolean readAndDeliver(Lane<E> lane) {
    Long from = lane.watermark();
    if (from == null) {
      // Never read since the feed started (the shard was down all along): its events count from now.
      lane.idle(reader.horizon(lane.shard));
      return true;
    }
    OutboxReader.Batch<E> batch = reader.readFrom(lane.shard, from);
    long next = batch.nextWatermark();
    boolean more = batch.more();
    List<OutboxReader.Stamped<E>> events = batch.events();
    long held = heldFrom(batch);
    if (held < next) {
      // An entity's events here wait for its events on the shard its bucket came from: deliver up to the first
      // of them, and read again next round.
      next = held;
      more = false;
      events = events.stream().filter(e -> e.txid() < held).toList();
    }
    for (Subscription<E> subscription : lane.advance(from, next)) {
      for (OutboxReader.Stamped<E> event : events) {
        subscription.offer(lane.shard, event);
      }
    }
    lane.delivered(next);
    return more;
  }

  /**
   * The lowest transaction id of an event in the batch that must wait: its bucket was handed over to this shard
   * before it was written, and this feed has not yet delivered every event of the bucket from the shard it came
   * from. {@link Long#MAX_VALUE} when none waits. A source shard that cannot be read holds nothing back: the other
   * buckets of this shard must not stop with it (the order across the move then yields).
   */
  private long heldFrom(OutboxReader.Batch<E> batch) {
    long held = Long.MAX_VALUE;
    if (batch.handoffs().isEmpty()) {
      return held;
    }
    for (OutboxReader.Stamped<E> event : batch.events()) {
      if (event.bucket() == OutboxReader.Stamped.NO_BUCKET || event.txid() >= held) {
        continue;
      }
      OutboxReader.Handoff last = null;
      for (OutboxReader.Handoff handoff : batch.handoffs()) {
        if (handoff.bucket() == event.bucket() && handoff.txid() < event.txid()
            && (last == null || handoff.txid() > last.txid())) {
          last = handoff;
        }
      }
      if (last != null && last.fromShard() >= 0 && last.fromShard() < lanes.size()) {
        Lane<E> source = lanes.get(last.fromShard());
        if (!source.failing && source.deliveredUpTo() < last.sourceTxid()) {
          held = event.txid();
        }
      }
    }
    return held;
  }

  @Override
  public void close() {
    closed = true;
    lanes.forEach(Lane::wake);
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
        break;
      }
    }
    horizonReads.shutdownNow();
  }

  /**
   * One shard's place in the feed: its watermark and the subscriptions that follow it. The lock makes joining and
   * "deliver a batch and move the watermark" exclusive, so a subscription either gets a whole batch or starts after
   * it, never half: no event is lost or doubled.
   */
  private static final class Lane<E> {
    final int shard;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<Subscription<E>> followers = new CopyOnWriteArraySet<>();
    /** Where the next read starts; null until the shard was first read. Written under the lock. */
    private Long watermark;
    /** Whether the last read failed: a subscription does not wait for this shard's horizon then. */
    volatile boolean failing;
    /** Every event below it was offered to the followers (or skipped while nobody followed). */
    private volatile long deliveredUpTo = Long.MIN_VALUE;

    Lane(int shard) {
      this.shard = shard;
    }

    boolean followed() {
      return !followers.isEmpty();
    }

    Long watermark() {
      lock.lock();
      try {
        return watermark;
      } finally {
        lock.unlock();
      }
    }

    long deliveredUpTo() {
      return deliveredUpTo;
    }

    /** Set by the poller once a batch up to {@code next} was offered: another lane's held events may follow. */
    void delivered(long next) {
      deliveredUpTo = Math.max(deliveredUpTo, next);
    }

    /** Nobody follows the shard: skip what nobody wants, up to the horizon just read. */
    void idle(long horizon) {
      lock.lock();
      try {
        if (followers.isEmpty() || watermark == null) {
          watermark = horizon;
          deliveredUpTo = Math.max(deliveredUpTo, horizon);
        }
      } finally {
        lock.unlock();
      }
    }

    /**
     * Moves the watermark past a batch read from {@code from}; returns who gets the batch: the followers at this
     * moment. A subscription that joins later starts after the batch.
     */
    List<Subscription<E>> advance(long from, long next) {
      lock.lock();
      try {
        if (watermark == null || watermark != from) {
          return List.of(); // cannot happen: once set, only this lane's poller moves the watermark
        }
        watermark = next;
        return List.copyOf(followers);
      } finally {
        lock.unlock();
      }
    }

    /**
     * From now on the subscription gets every batch this lane delivers: all events from the watermark on. One whose
     * horizon of this shard could not be read takes them all (some may have committed just before it subscribed);
     * the others drop those below their horizon.
     */
    void join(Subscription<E> subscription, long start) {
      lock.lock();
      try {
        if (watermark == null && start != Subscription.FROM_WATERMARK) {
          watermark = start; // the poller has not read this shard yet: deliver from this subscriber's horizon
        }
        followers.add(subscription);
        changed.signalAll(); // an idle poller starts delivering now
      } finally {
        lock.unlock();
      }
    }

    void leave(Subscription<E> subscription) {
      followers.remove(subscription);
    }

    void wake() {
      lock.lock();
      try {
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    /**
     * Waits up to {@code time}, or less when the lane was idle ({@code followed} false) and a subscription joined;
     * false when the feed closed.
     */
    boolean await(Duration time, boolean followed, java.util.function.BooleanSupplier closed) {
      lock.lock();
      try {
        if (closed.getAsBoolean()) {
          return false;
        }
        if (!followed && !followers.isEmpty()) {
          return true; // joined since the poller looked: deliver now
        }
        changed.await(time.toNanos(), TimeUnit.NANOSECONDS);
        return !closed.getAsBoolean();
      } catch (InterruptedException e) {
        return false;
      } finally {
        lock.unlock();
      }
    }
  }
}
