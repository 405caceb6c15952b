package dev.trellis.platform.data;

import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The merged, ordered stream of a {@link ScatterGather}: a lazy iterator that fetches a shard's next batch only when
 * the merge needs its next row, on the consuming thread. Between batches it holds no connection, only at most a
 * batch of rows per shard, so a consumer with flow control (a gRPC stream that sends only while the client is ready)
 * may stall for as long as its client does without taking anything from the shard pools. It may be consumed from
 * different threads one after another, never at once. Close it when done to drop the buffered rows; it also closes
 * itself when exhausted or when the limit is met.
 */
public final class MergedCursor<T> implements Iterator<T>, AutoCloseable {
  private final List<ShardCursor<T>> sources;
  private final PriorityQueue<ShardCursor<T>> heads;
  private final int limit;
  private final ReentrantLock lock = new ReentrantLock();
  private int emitted;
  private boolean moreAfterLimit;
  private boolean closed;

  MergedCursor(List<ShardCursor<T>> sources, Comparator<? super T> order, int limit) {
    this.sources = List.copyOf(sources);
    Comparator<ShardCursor<T>> byHead = (a, b) -> order.compare(a.head(), b.head());
    this.heads = new PriorityQueue<>(Math.max(1, sources.size()),
        byHead.thenComparingInt(ShardCursor::shardIndex));
    this.limit = limit;
    for (ShardCursor<T> source : sources) {
      if (source.head() != null) {
        heads.add(source);
      }
    }
    settleLimit();
  }

  @Override
  public boolean hasNext() {
    lock.lock();
    try {
      return !closed && !heads.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public T next() {
    lock.lock();
    try {
      if (closed || heads.isEmpty()) {
        throw new NoSuchElementException();
      }
      ShardCursor<T> source = heads.poll();
      T value = source.head();
      emitted++;
      try {
        if (source.advance()) {
          heads.add(source);
        }
      } catch (RuntimeException e) {
        closeSources();
        throw e;
      }
      settleLimit();
      return value;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether the limit cut the stream short, that is whether a next page exists. Meaningful once {@link #hasNext()}
   * is false; always false without a limit.
   */
  public boolean moreAfterLimit() {
    lock.lock();
    try {
      return moreAfterLimit;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closeSources();
    } finally {
      lock.unlock();
    }
  }

  /** At the limit, remember whether rows remain and drop every shard's rows at once. */
  private void settleLimit() {
    if (limit > 0 && emitted >= limit && !closed) {
      moreAfterLimit = !heads.isEmpty();
      closeSources();
    } else if (heads.isEmpty()) {
      closeSources();
    }
  }

  private void closeSources() {
    if (closed) {
      return;
    }
    closed = true;
    heads.clear();
    sources.forEach(ShardCursor::close);
  }
}
