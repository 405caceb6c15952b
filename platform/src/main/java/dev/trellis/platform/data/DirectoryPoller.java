package dev.trellis.platform.data;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRouter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a replica on the newest complete directory version stored on the shards: checks every {@code interval},
 * and at once when a shard refused a write for a bucket it no longer owns, and hands a newer version to
 * {@code follow} (which opens the pools of shards that joined, swaps the {@link ShardRouter}'s directory and closes
 * the pools of drained shards). Reads the shards that answer; a shard that does not is skipped (the prober reports
 * it), since every complete version is on every serving shard.
 */
final class DirectoryPoller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectoryPoller.class);

  private final Supplier<List<Shard>> shards;
  private final ShardRouter router;
  private final Consumer<BucketDirectory> follow;
  private final ScheduledExecutorService executor;
  private final AtomicBoolean refreshQueued = new AtomicBoolean();

  DirectoryPoller(Supplier<List<Shard>> shards, ShardRouter router, Consumer<BucketDirectory> follow, String kind,
      Duration interval) {
    this.shards = shards;
    this.router = router;
    this.follow = follow;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "trellis-" + kind + "-directory");
      t.setDaemon(true);
      return t;
    });
    executor.scheduleWithFixedDelay(this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The newest complete directory on any shard that answers, or empty when none holds one (a database that was
   * never migrated: tests and tools route it by the seed layout).
   */
  static Optional<BucketDirectory> readNewest(List<Shard> shards) {
    Optional<BucketDirectory> newest = Optional.empty();
    for (Shard shard : shards) {
      try {
        Optional<BucketDirectory> latest = shard.read(DirectoryStore::readLatest);
        if (latest.isPresent() && (newest.isEmpty() || latest.get().version() > newest.get().version())) {
          newest = latest;
        }
      } catch (RuntimeException e) {
        log.debug("shard {} did not give its bucket directory: {}", shard.name(), e.toString());
      }
    }
    return newest;
  }

  /** Checks for a newer version soon, on the poller's thread; requests made while one is queued join it. */
  void refreshNow() {
    if (refreshQueued.compareAndSet(false, true)) {
      try {
        executor.execute(() -> {
          refreshQueued.set(false);
          poll();
        });
      } catch (RejectedExecutionException e) {
        refreshQueued.set(false); // closing
      }
    }
  }

  /** One check: the versions only (cheap), and the layout only from a shard that has a newer one. */
  private void poll() {
    long current = router.directory().version();
    for (Shard shard : shards.get()) {
      try {
        if (shard.read(DirectoryStore::latestVersion) > current) {
          shard.read(DirectoryStore::readLatest).ifPresent(this::swap);
          current = router.directory().version();
        }
      } catch (RuntimeException e) {
        log.debug("shard {} did not give its bucket directory version: {}", shard.name(), e.toString());
      }
    }
  }

  private void swap(BucketDirectory newer) {
    try {
      follow.accept(newer);
    } catch (RuntimeException e) {
      // A version this replica cannot follow (it names a shard without recording where it is): it keeps routing by
      // the version it has (writes there are refused by the fence) and tries again at the next poll.
      log.warn("bucket directory version {} is not followed: {}", newer.version(), e.getMessage());
    }
  }

  /** Runs {@code task} on the poller's thread after {@code delay} (closing a drained shard's pool). */
  void later(Runnable task, Duration delay) {
    try {
      executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      task.run(); // closing: now
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
