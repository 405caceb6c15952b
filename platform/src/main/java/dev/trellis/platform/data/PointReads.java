package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.route.ShardId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

/**
 * Reads of one table's rows by id, batched per shard under load ({@link ReadBatcher}): while fewer than
 * {@link ShardPoolSettings#pointReads()} of them run on a shard, each runs alone ({@code WHERE id = ?}); the ones
 * that arrive meanwhile share the next statement ({@code WHERE id = ANY(?)}), one round trip to PostgreSQL for all.
 * Like {@link ShardedDatabase#fetchOptionalById}, a read finds nothing only where its shard owns the id's bucket.
 * Both statements are rendered once. Make one per table and keep it.
 */
public final class PointReads<R extends Record> {
  private static final Settings RENDER = new Settings().withRenderSchema(false);

  /** Ids in one statement at most; the rest wait for the next (a statement of thousands of ids fails them all). */
  private static final int MAX_BATCH = 500;

  private final ShardedDatabase db;
  private final Table<R> table;
  private final Field<Long> id;
  private final String one;
  private final String many;
  private final int maxRunning;
  private final Duration maxWait;

  PointReads(ShardedDatabase db, Table<R> table, Field<Long> id, ShardPoolSettings pool) {
    this.db = requireNonNull(db, "db");
    this.table = requireNonNull(table, "table");
    this.id = requireNonNull(id, "id");
    // More than the pool's connections would only queue for them again.
    this.maxRunning = Math.min(pool.pointReads(), pool.maxSize());
    // The longest a read waits for its turn: a running statement and then its own batch, each bounded by the wait
    // for a connection, the statement timeout and the socket's margin.
    this.maxWait = pool.connectionTimeout().plus(pool.timeouts().statement()).plus(ShardTimeouts.SOCKET_MARGIN)
        .multipliedBy(2);
    this.one = DSL.using(SQLDialect.POSTGRES, RENDER)
        .render(DSL.selectFrom(table).where(id.eq(DSL.param("id", Long.class))));
    this.many = DSL.using(SQLDialect.POSTGRES, RENDER)
        .render(DSL.selectFrom(table).where(id.eq(DSL.any(DSL.param("ids", Long[].class)))));
  }

  /** The row with this id, or empty when the shard that owns its bucket has none. */
  public Optional<R> fetch(long rowId) {
    if (maxRunning == 0) {
      return db.fetchOptionalById(rowId, dsl -> dsl.resultQuery(one, rowId).coerce(table)); // batching off
    }
    int bucket = ShardId.bucketOf(rowId);
    Shard shard = db.shardOfBucket(bucket);
    Optional<R> found = batcher(shard).read(rowId);
    if (found.isEmpty()) {
      shard.read(dsl -> {
        Shard.requireBucket(dsl, bucket); // a bucket that left this shard is "moved", not NOT_FOUND
        return null;
      });
    }
    return found;
  }

  /** How many reads wait for a statement slot on this shard now (tests). */
  int waiting(Shard shard) {
    return maxRunning == 0 ? 0 : batcher(shard).waiting();
  }

  private Optional<R> readOne(Shard shard, long rowId) {
    return shard.read(dsl -> dsl.resultQuery(one, rowId).coerce(table).fetchOptional());
  }

  // Kept by the shard, so that a shard that left the set takes its batcher with it.
  private ReadBatcher<Long, R> batcher(Shard shard) {
    return shard.readBatcher(this, this::newBatcher);
  }

  private ReadBatcher<Long, R> newBatcher(Shard shard) {
    return new ReadBatcher<>(maxRunning, MAX_BATCH, maxWait, shard::waitedTooLong, new ReadBatcher.Reads<>() {
      @Override
      public Optional<R> readOne(Long key) {
        return PointReads.this.readOne(shard, key);
      }

      @Override
      public Map<Long, R> readMany(Set<Long> keys) {
        Long[] ids = keys.toArray(Long[]::new);
        return shard.read(dsl -> {
          Map<Long, R> found = new HashMap<>(ids.length * 2);
          for (R row : dsl.resultQuery(many, (Object) ids).coerce(table).fetch()) {
            found.put(row.get(id), row);
          }
          return found;
        });
      }
    });
  }
}
