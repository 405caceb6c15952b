package dev.trellis.platform.data;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One shard's stream in a merge: the values of its current batch, its head value, and what it takes to fetch the
 * next batch. It holds no connection: each batch is one query that returns its connection before the values are
 * read from here.
 */
final class ShardCursor<T> {
  /** Fetches up to {@code max} values of one shard, in order, after {@code after} (empty: from the start). */
  @FunctionalInterface
  interface Batches<T> {
    List<? extends T> fetch(Optional<T> after, int max);
  }

  private final int shardIndex;
  private final Batches<T> batches;
  private final Comparator<? super T> order;
  private final int fetchSize;
  /** How many more values this shard may return: the limit + 1 in all, or unbounded. */
  private long budget;
  private List<? extends T> batch = List.of();
  private int position;
  /** Whether the last batch came back full, so that the shard may hold more; true before the first batch. */
  private boolean mayHaveMore = true;
  private T head;

  /**
   * @param fetchSize the most values per batch
   * @param limit the most values the merge will emit, or 0 for all: a shard then returns at most limit + 1 values
   */
  ShardCursor(int shardIndex, Batches<T> batches, Comparator<? super T> order, int fetchSize, int limit) {
    this.shardIndex = shardIndex;
    this.batches = batches;
    this.order = order;
    this.fetchSize = fetchSize;
    this.budget = limit > 0 ? limit + 1L : Long.MAX_VALUE;
  }

  /**
   * Moves to the next value; false at the end. When the current batch is used up and was full, fetches the next
   * one after the head, on the calling thread.
   */
  boolean advance() {
    if (position == batch.size()) {
      if (mayHaveMore && budget > 0) {
        fetchAfter(Optional.ofNullable(head));
      }
      if (position == batch.size()) {
        close();
        return false;
      }
    }
    T next = Objects.requireNonNull(batch.get(position++), "the scatter-gather mapper returned null");
    if (head != null && order.compare(head, next) >= 0) {
      throw new IllegalStateException("shard " + shardIndex + " returned a value that does not come strictly after"
          + " the one before it: the query's ORDER BY and its continuation after the last value must agree with"
          + " the stream's order, and that order must be strict on each shard");
    }
    head = next;
    return true;
  }

  private void fetchAfter(Optional<T> after) {
    int max = (int) Math.min(fetchSize, budget);
    List<? extends T> rows = batches.fetch(after, max);
    budget -= rows.size();
    mayHaveMore = rows.size() >= max;
    batch = rows;
    position = 0;
  }

  T head() {
    return head;
  }

  int shardIndex() {
    return shardIndex;
  }

  /** Drops the buffered values; no more batches are fetched. */
  void close() {
    head = null;
    batch = List.of();
    position = 0;
    mayHaveMore = false;
  }
}
