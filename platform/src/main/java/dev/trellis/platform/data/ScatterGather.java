package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.RecordMapper;
import org.jooq.ResultQuery;
import org.jooq.SQLDialect;
import org.jooq.SelectLimitStep;
import org.jooq.impl.DSL;

/**
 * Runs one ordered query on many shards at once and merges the rows into one ordered stream.
 *
 * <p>Each shard's query opens in parallel on a virtual thread, inside a read-only transaction with a fetch size,
 * so PostgreSQL serves it from a cursor {@code fetchSize} rows per round trip (a limited query whose LIMIT fits
 * in one fetch runs without the transaction: one round trip, same bound); the merge then pulls rows lazily,
 * shard by shard, with a k-way merge. Memory holds at most about {@code fetchSize} rows per shard whatever the
 * result size. With a limit {@code n > 0} every shard query gets {@code LIMIT n + 1}: the first n merged rows are the
 * page, and the (n+1)-th, if any, proves that another page exists.
 *
 * <p>A shard that cannot be reached fails the whole stream with UNAVAILABLE: a merged result with a shard missing
 * would be silently wrong.
 */
public final class ScatterGather {
  private final int fetchSize;

  ScatterGather(int fetchSize) {
    this.fetchSize = fetchSize;
  }

  /**
   * Opens the merged stream.
   *
   * @param shards the shards to ask, usually all of them
   * @param query builds the ordered query for one shard on the given context, without a limit; its ORDER BY must
   *     agree with {@code order}
   * @param mapper turns a row into the streamed value
   * @param order the order of the values, the same on every shard; ties are broken by shard order
   * @param limit the most values to stream, or 0 for all
   * @return a cursor to close when done (closing early releases every shard's connection)
   */
  public <R extends Record, T> MergedCursor<T> stream(
      List<Shard> shards, Function<DSLContext, SelectLimitStep<R>> query, RecordMapper<? super R, ? extends T> mapper,
      Comparator<? super T> order, int limit) {
    requireNonNull(shards, "shards");
    requireNonNull(query, "query");
    requireNonNull(mapper, "mapper");
    requireNonNull(order, "order");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    List<Future<ShardCursor<T>>> opening = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Shard shard : shards) {
        opening.add(executor.submit(() -> open(shard, query, mapper, limit)));
      }
    }
    List<ShardCursor<T>> opened = new ArrayList<>();
    RuntimeException failure = null;
    for (Future<ShardCursor<T>> future : opening) {
      try {
        opened.add(future.get());
      } catch (ExecutionException e) {
        RuntimeException translated = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
        if (failure == null) {
          failure = translated;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new IllegalStateException("interrupted while opening shard cursors", e);
      }
    }
    if (failure != null) {
      opened.forEach(ShardCursor::close);
      throw failure;
    }
    return new MergedCursor<>(opened, order, limit);
  }

  private <R extends Record, T> ShardCursor<T> open(
      Shard shard, Function<DSLContext, SelectLimitStep<R>> query, RecordMapper<? super R, ? extends T> mapper,
      int limit) {
    Connection connection = null;
    try {
      connection = shard.dataSource().getConnection();
      if (limit == 0 || limit >= fetchSize) {
        // Read-only transaction: pgjdbc only streams with a cursor (fetch size) outside autocommit. A page that
        // fits in one fetch skips it: its rows are bounded by the limit anyway, and it saves a round trip.
        connection.setReadOnly(true);
        connection.setAutoCommit(false);
      }
      DSLContext dsl = DSL.using(connection, SQLDialect.POSTGRES);
      SelectLimitStep<R> select = query.apply(dsl);
      ResultQuery<R> limited = limit > 0 ? select.limit(limit + 1) : select;
      Cursor<R> cursor = limited.fetchSize(fetchSize).fetchLazy();
      ShardCursor<T> shardCursor = new ShardCursor<>(shard, connection, cursor, mapper);
      shardCursor.advance();
      return shardCursor;
    } catch (Throwable e) {
      ShardCursor.release(connection);
      throw shard.translate(e);
    }
  }
}
