package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out, for each shard, whether it answers: one thread per shard borrows a connection and checks it
 * (bounded by the pool's connection timeout) every probe interval, and at once when a call on the shard failed to
 * connect. A shard found unreachable fails its calls fast ({@link Shard#read}), instead of each one waiting out the
 * connection timeout, until a check finds it back; listeners (the server's health) hear every change.
 *
 * <p>One check decides, not the calls: a call that failed says only "look now". So a shard is never shut off by
 * one broken pooled connection, and a shard that is back is found within one interval.
 */
final class ShardProber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShardProber.class);

  private final String kind;
  private final Duration interval;
  private final List<ShardReachabilityListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<Shard, Thread> threads = new ConcurrentHashMap<>();
  private final Thread.Builder builder;
  private volatile boolean closed;

  ShardProber(List<Shard> shards, String kind, Duration interval) {
    this.kind = kind;
    this.interval = interval;
    // Platform threads: a check must run even while busy virtual threads hold every carrier (calls on a shard that
    // fails fast do not block, so a hot retry loop would never let a virtual prober find the shard back).
    this.builder = Thread.ofPlatform().daemon().name(kind + "-shard-probe-", 0);
    shards.forEach(this::add);
  }

  /** Starts checking a shard that joined (and tells the listeners its state now). */
  synchronized void add(Shard shard) {
    if (closed) {
      return;
    }
    // In the map before it runs: the thread probes only while its shard is there.
    Thread thread = builder.unstarted(() -> probe(shard));
    if (threads.putIfAbsent(shard, thread) == null) {
      thread.start();
    }
    for (ShardReachabilityListener listener : listeners) {
      listener.changed(shard, shard.isReachable());
    }
  }

  /** Stops checking a shard that left, and tells the listeners it left. */
  synchronized void remove(Shard shard) {
    Thread thread = threads.remove(shard);
    if (thread != null) {
      thread.interrupt();
      for (ShardReachabilityListener listener : listeners) {
        try {
          listener.left(shard);
        } catch (RuntimeException e) {
          log.error("a shard reachability listener failed", e);
        }
      }
    }
  }

  /** Tells {@code listener} each shard's state now, then every change, on the prober's threads. */
  synchronized void listen(ShardReachabilityListener listener) {
    requireNonNull(listener, "listener");
    listeners.add(listener);
    for (Shard shard : threads.keySet()) {
      listener.changed(shard, shard.isReachable());
    }
  }

  private boolean probing(Shard shard) {
    return !closed && threads.containsKey(shard);
  }

  private void probe(Shard shard) {
    ShardHealth health = shard.health();
    while (probing(shard)) {
      boolean reachable = shard.check();
      if (!probing(shard)) {
        return;
      }
      if (health.set(reachable)) {
        if (reachable) {
          log.info("{} {} is reachable again", kind, shard.name());
        } else {
          log.warn("{} {} is unreachable: its calls fail fast with UNAVAILABLE until a check every {} finds it back",
              kind, shard.name(), interval);
        }
        for (ShardReachabilityListener listener : listeners) {
          try {
            listener.changed(shard, reachable);
          } catch (RuntimeException e) {
            log.error("a shard reachability listener failed", e);
          }
        }
      }
      try {
        health.awaitRecheck(interval);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    threads.values().forEach(Thread::interrupt);
  }

  /** One shard's state as its prober last found it; calls read it on every use, so it is one volatile field. */
  static final class ShardHealth {
    private volatile boolean reachable = true;
    private final Semaphore recheck = new Semaphore(0);

    boolean reachable() {
      return reachable;
    }

    /** A call could not reach the shard: check it now rather than at the next interval. */
    void suspect() {
      recheck.release();
    }

    /** Records a check; true when it changed the state. */
    boolean set(boolean now) {
      boolean changed = reachable != now;
      reachable = now;
      return changed;
    }

    void awaitRecheck(Duration interval) throws InterruptedException {
      if (recheck.tryAcquire(interval.toNanos(), TimeUnit.NANOSECONDS)) {
        recheck.drainPermits();
      }
    }
  }
}
