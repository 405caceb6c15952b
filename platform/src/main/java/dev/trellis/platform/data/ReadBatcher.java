package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Reads by key on one shard, at most {@code maxRunning} statements at once; the reads that arrive while all of
 * them run wait, and then share one statement: natural batching, as group commit does for writes. A read that finds
 * a statement slot free runs alone at once, so an idle shard answers exactly as without batching; under load, the
 * reads that would each have queued for a connection and paid a round trip to PostgreSQL share one.
 *
 * <p>A batch starts after every read in it arrived, so it sees every write committed before any of them began: no
 * read joins a statement already running (which a query consolidator, such as Vitess's, allows). When a statement
 * ends and reads are waiting, its slot passes to them whole (at most {@code maxBatch} of them): the one whose call
 * has the farthest deadline (or none) runs their statement, under its own call's deadline, and hands each the row
 * it asked for. A failed statement fails every read in it, as it would have failed each alone. A read waits at most
 * until its call's deadline or {@code maxWait}, then leaves (DEADLINE_EXCEEDED, or {@code waitedTooLong}): a
 * statement that hangs, or a carrier thread pinned elsewhere, never holds the reads behind it for longer.
 *
 * @param <K> the key (an id)
 * @param <V> what a key finds
 */
final class ReadBatcher<K, V> {
  /** The statements: one key alone, or many at once (the keys found, each with its value). */
  interface Reads<K, V> {
    Optional<V> readOne(K key);

    Map<K, V> readMany(Set<K> keys);
  }

  /** What a waiter's turn completes with when it gave up: a batch handed to it then goes to another. */
  private static final List<?> GAVE_UP = new ArrayList<>(0);

  private final int maxRunning;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final Supplier<RuntimeException> waitedTooLong;
  private final Reads<K, V> reads;
  private final ReentrantLock lock = new ReentrantLock();
  private int running; // guarded by lock
  private List<Waiter<K, V>> waiting = new ArrayList<>(); // guarded by lock

  ReadBatcher(int maxRunning, int maxBatch, Duration maxWait, Supplier<RuntimeException> waitedTooLong,
      Reads<K, V> reads) {
    if (maxRunning < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("maxRunning and maxBatch must be at least 1, got " + maxRunning + " and "
          + maxBatch);
    }
    this.maxRunning = maxRunning;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = maxWait.toNanos();
    this.waitedTooLong = requireNonNull(waitedTooLong, "waitedTooLong");
    this.reads = requireNonNull(reads, "reads");
  }

  /** What {@code key} finds: alone when a slot is free, else in the next statement with the other reads waiting. */
  Optional<V> read(K key) {
    requireNonNull(key, "key");
    Waiter<K, V> self = null;
    lock.lock();
    try {
      if (running < maxRunning) {
        running++;
      } else {
        self = new Waiter<>(key, Context.current().getDeadline());
        waiting.add(self);
      }
    } finally {
      lock.unlock();
    }
    if (self == null) {
      try {
        return reads.readOne(key);
      } finally {
        handOn();
      }
    }
    List<Waiter<K, V>> batch = awaitTurn(self); // null: another read's batch answered it
    if (batch != null) {
      runBatch(batch);
    }
    return self.answer();
  }

  /** How many reads wait for a slot now (tests). */
  int waiting() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  private List<Waiter<K, V>> awaitTurn(Waiter<K, V> self) {
    long nanos = maxWaitNanos;
    if (self.deadline != null) {
      nanos = Math.min(nanos, self.deadline.timeRemaining(TimeUnit.NANOSECONDS));
    }
    try {
      return self.turn.get(Math.max(0, nanos), TimeUnit.NANOSECONDS); // parks this (virtual) thread
    } catch (TimeoutException e) {
      boolean late = self.deadline != null && self.deadline.isExpired();
      return giveUp(self, late ? StatementDeadlines.deadlinePassed() : waitedTooLong.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return giveUp(self, Status.CANCELLED.withDescription("the read was interrupted").asRuntimeException());
    } catch (ExecutionException e) {
      throw new IllegalStateException("a turn never completes exceptionally", e);
    }
  }

  /** Leaves the queue with {@code failure}, unless a batch or an answer came first (then that is the turn). */
  @SuppressWarnings("unchecked")
  private List<Waiter<K, V>> giveUp(Waiter<K, V> self, RuntimeException failure) {
    boolean removed;
    lock.lock();
    try {
      removed = waiting.remove(self);
    } finally {
      lock.unlock();
    }
    if (removed || self.turn.complete((List<Waiter<K, V>>) (List<?>) GAVE_UP)) {
      throw failure;
    }
    return self.turn.join(); // completed meanwhile: a batch to run, or the answer
  }

  private void runBatch(List<Waiter<K, V>> batch) {
    try {
      Set<K> keys = new LinkedHashSet<>();
      for (Waiter<K, V> waiter : batch) {
        keys.add(waiter.key);
      }
      Map<K, V> found;
      // An interrupt meant for this call (its server shutting down) must not fail the statement of the others.
      boolean interrupted = Thread.interrupted();
      try {
        found = reads.readMany(keys);
      } catch (RuntimeException | Error e) {
        for (Waiter<K, V> waiter : batch) {
          waiter.fail(e);
        }
        return;
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      for (Waiter<K, V> waiter : batch) {
        waiter.answer(Optional.ofNullable(found.get(waiter.key)));
      }
    } finally {
      for (Waiter<K, V> waiter : batch) {
        if (!waiter.answered) {
          waiter.fail(new IllegalStateException("the batch of this read ended without an answer"));
        }
      }
      handOn();
    }
  }

  /** Passes a finished statement's slot to the reads that waited meanwhile, or frees it when none did. */
  private void handOn() {
    while (true) {
      List<Waiter<K, V>> batch;
      lock.lock();
      try {
        if (waiting.isEmpty()) {
          running--;
          return;
        }
        if (waiting.size() <= maxBatch) {
          batch = waiting;
          waiting = new ArrayList<>();
        } else {
          List<Waiter<K, V>> first = waiting.subList(0, maxBatch);
          batch = new ArrayList<>(first);
          first.clear();
        }
      } finally {
        lock.unlock();
      }
      // The farthest deadline leads; a waiter that gave up meanwhile refuses the batch, and the next one takes it.
      List<Waiter<K, V>> candidates = new ArrayList<>(batch);
      while (!candidates.isEmpty()) {
        Waiter<K, V> leader = farthestDeadline(candidates);
        if (leader.turn.complete(batch)) {
          return;
        }
        candidates.remove(leader);
      }
      // Every read of that batch gave up: hand the slot to the next ones, if any.
    }
  }

  private static <K, V> Waiter<K, V> farthestDeadline(List<Waiter<K, V>> batch) {
    Waiter<K, V> leader = batch.get(0);
    for (Waiter<K, V> waiter : batch) {
      if (waiter.remainingNanos() > leader.remainingNanos()) {
        leader = waiter;
      }
    }
    return leader;
  }

  /** A read waiting for a slot: handed its answer, or a batch to run (itself among it), unless it gave up first. */
  private static final class Waiter<K, V> {
    final K key;
    final Deadline deadline;
    final CompletableFuture<List<Waiter<K, V>>> turn = new CompletableFuture<>();
    private Optional<V> value; // written before turn completes (or by the batch's runner, itself), read after
    private Throwable failure;
    private boolean answered; // only the batch's runner reads and writes it

    Waiter(K key, Deadline deadline) {
      this.key = key;
      this.deadline = deadline;
    }

    long remainingNanos() {
      return deadline == null ? Long.MAX_VALUE : deadline.timeRemaining(TimeUnit.NANOSECONDS);
    }

    void answer(Optional<V> found) {
      value = found;
      answered = true;
      turn.complete(null); // a no-op for the batch's runner (its turn was the batch) and for one that gave up
    }

    void fail(Throwable e) {
      failure = e;
      answered = true;
      turn.complete(null);
    }

    Optional<V> answer() {
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      return value;
    }
  }
}
