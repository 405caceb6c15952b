package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.Record;
import org.jooq.RecordMapper;

/**
 * Runs one ordered query on many shards at once and merges the rows into one ordered stream.
 *
 * <p>Each shard is read in keyset batches of at most {@code fetchSize} rows: a batch is one short autocommit query
 * through {@link Shard#read}, which borrows a connection from the shard's pool and returns it before the rows are
 * handed out; when a shard's batch is used up and was full, the next batch asks for the rows after the last one
 * seen on that shard (see {@link ShardQuery}). So a stream holds no connection between batches: a slow reader (a
 * gRPC client that does not read, with the sender waiting on flow control) keeps only its buffered rows, never a
 * pool connection, and any number of stalled streams cannot starve the small pools that every other call needs.
 * The first batches of all shards run in parallel on virtual threads, so the latency of a first page does not grow
 * with the shard count; later batches are fetched on the consuming thread when the merge needs them. The merge
 * pulls values lazily with a k-way merge; memory holds at most about {@code fetchSize} rows per shard whatever the
 * result size. With a limit {@code n > 0} a shard returns at most n + 1 rows in all (each batch asks for
 * min(fetchSize, rows still allowed)): the first n merged rows are the page, and the (n+1)-th, if any, proves that
 * another page exists.
 *
 * <p>Consistency: there is no snapshot across batches. A row inserted or changed during a long stream may or may
 * not appear, as when following page tokens; the stream is still in ascending order without duplicates, because
 * every batch continues strictly after the last row seen on its shard.
 *
 * <p>A shard that cannot be reached, at the first batch or a later one, fails the whole stream with UNAVAILABLE: a
 * merged result with a shard missing would be silently wrong. A shard already known to be down (its prober found
 * it so) fails the stream at once, before any shard is asked.
 */
public final class ScatterGather {
  private final int fetchSize;

  ScatterGather(int fetchSize) {
    this.fetchSize = fetchSize;
  }

  /**
   * Opens the merged stream: fetches the first batch of every shard, in parallel.
   *
   * @param shards the shards to ask, usually all of them
   * @param query builds one batch's ordered query for one shard, without a limit, continuing after the last value
   *     seen on that shard; its ORDER BY and its continuation condition must agree with {@code order}
   * @param mapper turns a row into the streamed value
   * @param order the order of the values, the same on every shard and strict within a shard; ties across shards
   *     are broken by shard order
   * @param limit the most values to stream, or 0 for all
   * @return a cursor to close when done (it holds no connection, only buffered rows)
   */
  public <R extends Record, T> MergedCursor<T> stream(
      List<Shard> shards, ShardQuery<R, T> query, RecordMapper<? super R, ? extends T> mapper,
      Comparator<? super T> order, int limit) {
    requireNonNull(query, "query");
    return streamByShard(shards, shard -> query, mapper, order, limit);
  }

  /**
   * {@link #stream} with a query of its own for each shard: one that keeps only the rows a directory version
   * routes to that shard ({@link RoutedRows}), say, so that a bucket being moved is read once.
   */
  public <R extends Record, T> MergedCursor<T> streamByShard(
      List<Shard> shards, java.util.function.Function<Shard, ShardQuery<R, T>> queries,
      RecordMapper<? super R, ? extends T> mapper, Comparator<? super T> order, int limit) {
    requireNonNull(shards, "shards");
    requireNonNull(queries, "queries");
    requireNonNull(mapper, "mapper");
    requireNonNull(order, "order");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    // A merge with a shard missing would be silently wrong: with one known to be down, fail before asking any.
    shards.forEach(Shard::requireReachable);
    List<Future<ShardCursor<T>>> opening = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Shard shard : shards) {
        ShardQuery<R, T> query = requireNonNull(queries.apply(shard), "query");
        ShardCursor<T> cursor = new ShardCursor<>(shard.index(),
            (after, max) -> shard.read(dsl -> query.select(dsl, after).limit(max).fetch(mapper)),
            order, fetchSize, limit);
        // In the caller's gRPC Context, so that the first batches are bounded by the call's deadline too.
        opening.add(executor.submit(Context.current().wrap(() -> {
          cursor.advance();
          return cursor;
        })));
      }
    }
    List<ShardCursor<T>> opened = new ArrayList<>();
    for (Future<ShardCursor<T>> future : opening) {
      try {
        opened.add(future.get());
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while fetching the first batches", e);
      }
    }
    return new MergedCursor<>(opened, order, limit);
  }
}
