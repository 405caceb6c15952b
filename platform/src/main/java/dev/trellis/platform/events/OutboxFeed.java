package dev.trellis.platform.events;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.Collectors;
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
 *
 * <p>The shard set changes while the feed runs (resharding), and the feed follows it as the database's pools do
 * ({@code ShardedDatabase.follow}): a shard that joins gets a lane within about one interval, read from the first
 * bucket handed over to it ({@link OutboxReader#joinedFrom}), and every subscription follows it; a shard that leaves
 * (drained: it owns no bucket and takes no writes) is read to its horizon once more, then its lane closes.
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
  /** The lanes by shard index; changed (and subscriptions joined to every lane) under {@link #shardSet}. */
  private final ConcurrentSkipListMap<Integer, Lane<E>> lanes = new ConcurrentSkipListMap<>();
  private final Object shardSet = new Object();
  private final Set<Subscription<E>> subscriptions = new CopyOnWriteArraySet<>();
  private final Set<Integer> unreadableJoiners = ConcurrentHashMap.newKeySet();
  private final ExecutorService horizonReads;
  private final Thread.Builder threads;
  private final Thread shardWatch;
  private volatile boolean closed;

  private OutboxFeed(OutboxReader<E> reader, Duration interval, String name) {
    this.reader = reader;
    this.interval = interval;
    this.idleInterval = interval.compareTo(IDLE_INTERVAL) > 0 ? interval : IDLE_INTERVAL;
    this.horizonReads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-horizon-", 0).factory());
    this.threads = Thread.ofVirtual().name(name + "-outbox-", 0);
    synchronized (shardSet) {
      for (int shard : reader.shards()) {
        startLane(new Lane<>(shard, null)); // events count from the first read: nobody subscribed before
      }
    }
    this.shardWatch = Thread.ofVirtual().name(name + "-shards").start(this::watchShardSet);
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

  /** The shards the feed reads now, by index (it follows the reader's shard set). */
  public SortedSet<Integer> shards() {
    return lanes.values().stream().filter(lane -> !lane.leaving).map(lane -> lane.shard)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /**
   * Subscribes to the events of every shard that match, committed from now on, including the shards that join
   * later (see {@link #subscribe(Collection, Predicate, int, Runnable)}).
   */
  public Subscription<E> subscribe(Predicate<? super E> wanted, int capacity, Runnable onEvents) {
    SortedSet<Integer> all = shards();
    return subscribe(all.isEmpty() ? reader.shards() : all, wanted, capacity, onEvents);
  }

  /** Every interval: a lane for each shard that joined, and the lanes of shards that left marked to close. */
  private void watchShardSet() {
    while (!closed) {
      try {
        followShardSet();
      } catch (RuntimeException e) {
        log.warn("following the shard set failed; next look in {}: {}", interval, e.toString());
      }
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Opens a lane for each shard the reader names that has none, and marks those of shards that left. */
  void followShardSet() {
    SortedSet<Integer> now = reader.shards();
    for (int shard : now) {
      if (!lanes.containsKey(shard)) {
        openLane(shard);
      }
    }
    for (Lane<E> lane : lanes.values()) {
      boolean left = !now.contains(lane.shard);
      if (left != lane.leaving) {
        lane.leaving = left;
        if (left) {
          log.info("shard {} left the shard set: its outbox is read to its end, then no more", lane.shard);
        }
        lane.wake();
      }
    }
  }

  /**
   * A lane for a shard that joined while the feed runs, read from where the reader says its events begin, followed
   * by every subscription (those that come later start at their own horizon of it). A shard that cannot be read yet
   * gets its lane at a later look: where its events begin does not change.
   */
  private void openLane(int shard) {
    long from;
    try {
      from = reader.joinedFrom(shard);
    } catch (RuntimeException e) {
      if (unreadableJoiners.add(shard)) {
        log.warn("shard {} joined but its outbox cannot be read yet; trying again every {}: {}", shard, interval,
            e instanceof ApiException api ? api.getMessage() : e.toString());
      }
      return;
    }
    synchronized (shardSet) {
      if (closed || lanes.containsKey(shard)) {
        return;
      }
      Lane<E> lane = new Lane<>(shard, from);
      for (Subscription<E> subscription : subscriptions) {
        lane.join(subscription, Subscription.FROM_WATERMARK);
      }
      startLane(lane);
    }
    unreadableJoiners.remove(shard);
    log.info("shard {} joined: reading its outbox from transaction {}", shard, from);
  }

  private void startLane(Lane<E> lane) {
    lanes.put(lane.shard, lane);
    lane.poller = threads.start(() -> poll(lane));
  }

  /**
   * Subscribes to the events of {@code shards} that match, committed from now on: a change committed after this
   * returns is never missed, and none is delivered twice. The other shards' matching events follow too, from the
   * moment it joins them, so an entity whose bucket moves to another shard stays followed; an entity's events
   * written there after the move come after its events on the shard it left (see {@link OutboxReader.Handoff}).
   * Shards that join later are followed the same way, from their first event. The horizon of each shard is read
   * first, all at once; a shard that does not answer within about a second (or is known to be failing) does not
   * fail the subscription: it is listed in {@link Subscription#unavailableShards()}, and its events are delivered
   * when it can be read again, starting where the feed stood on it when this was called.
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
    if (followed.isEmpty() || followed.first() < 0) {
      throw new IllegalArgumentException("shards must be a non-empty set of shard indexes, got " + shards);
    }
    for (int shard : followed) {
      if (!lanes.containsKey(shard)) {
        openLane(shard); // joined since the last look (the caller's router already names it)
      }
    }
    List<CompletableFuture<Long>> horizons = new ArrayList<>();
    for (int shard : followed) {
      Lane<E> lane = lanes.get(shard);
      // A shard without a lane (one that joined but cannot be read yet) is unavailable: its events follow when
      // its lane opens, from where they begin.
      horizons.add(lane == null || lane.failing ? CompletableFuture.failedFuture(new IllegalStateException("failing"))
          : CompletableFuture.supplyAsync(() -> reader.horizon(lane.shard), horizonReads));
    }
    // Every shard it does not follow, and every shard that joins later: an entity that moves there later has its
    // events there from now on.
    Map.Entry<Integer, Lane<E>> last = lanes.lastEntry();
    long[] starts = new long[Math.max(followed.last(), last == null ? 0 : last.getKey()) + 1];
    java.util.Arrays.fill(starts, Subscription.FROM_WATERMARK);
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
    for (Lane<E> lane : lanes.values()) {
      if (lane.leaving && !followed.contains(lane.shard) && lane.shard < starts.length) {
        // A shard that left takes no writes: nothing there is newer than this subscription.
        starts[lane.shard] = Subscription.NOT_FOLLOWED;
      }
    }
    Subscription<E>[] self = new Subscription[1];
    self[0] = new Subscription<>(wanted, starts, unavailable, capacity, onEvents, () -> unsubscribe(self[0]));
    synchronized (shardSet) {
      // With the lanes as they are now: a lane that opens after this joins the subscription itself.
      subscriptions.add(self[0]);
      for (Lane<E> lane : lanes.values()) {
        lane.join(self[0], lane.shard < starts.length ? starts[lane.shard] : Subscription.FROM_WATERMARK);
      }
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
    for (Lane<E> lane : lanes.values()) {
      lane.leave(subscription);
    }
  }

  /** Whether a lane reads {@code shard} now (a shard that left keeps its lane until it was read to its end). */
  boolean reads(int shard) {
    return lanes.containsKey(shard);
  }

  /** How many subscriptions are open. */
  public int subscriberCount() {
    return subscriptions.size();
  }

  private void poll(Lane<E> lane) {
    while (!closed) {
      boolean leaving = lane.leaving;
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
        if (leaving && !more && (!followed || lane.caughtUp)) {
          closeLane(lane, null);
          return;
        }
      } catch (RuntimeException e) {
        if (leaving) {
          // Its pool closes soon after it left (and the moves' grace gave this feed time to read it before).
          closeLane(lane, e);
          return;
        }
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

  /** The shard left the set and was read to its end (or cannot be read any more): it has no lane from now on. */
  private void closeLane(Lane<E> lane, RuntimeException failure) {
    synchronized (shardSet) {
      lanes.remove(lane.shard, lane);
    }
    if (failure == null) {
      log.info("shard {} left: its outbox was read to its end, up to transaction {}", lane.shard, lane.watermark());
    } else {
      log.warn("shard {} left and its outbox cannot be read any more; events from transaction {} on are not"
          + " delivered: {}", lane.shard, lane.watermark(),
          failure instanceof ApiException api ? api.getMessage() : failure.toString());
    }
  }

  /** Delivers one batch to the lane's subscribers; returns whether it was cut before the horizon. */
  private boolean readAndDeliver(Lane<E> lane) {
    lane.caughtUp = false;
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
    lane.caughtUp = !more && next == batch.nextWatermark();
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
      // A source without a lane (it left and was read to its end, or this replica never read it) holds nothing.
      Lane<E> source = last == null ? null : lanes.get(last.fromShard());
      if (source != null) {
        if (!source.failing && source.deliveredUpTo() < last.sourceTxid()) {
          held = event.txid();
        }
      }
    }
    return held;
  }

  @Override
  public void close() {
    List<Thread> pollers;
    synchronized (shardSet) {
      closed = true;
      pollers = lanes.values().stream().map(lane -> lane.poller).toList();
    }
    shardWatch.interrupt();
    lanes.values().forEach(Lane::wake);
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
    /** Whether the shard left the set: read to its end, then the lane closes. */
    volatile boolean leaving;
    /** Whether the last read reached the shard's horizon with nothing held back. */
    volatile boolean caughtUp;
    Thread poller;

    /** @param from where to read first; null: from the horizon at the first read (or a subscriber's) */
    Lane(int shard, Long from) {
      this.shard = shard;
      this.watermark = from;
      if (from != null) {
        this.deliveredUpTo = from; // nothing below it is of the shard's present life
      }
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
        if (watermark == null && start != Subscription.FROM_WATERMARK && start != Subscription.NOT_FOLLOWED) {
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
