package dev.trellis.platform.events;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.error.UnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.RecordMapper;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's outbox table on every shard, read as an {@link OutboxReader}: the rows from a watermark up to the
 * transaction-id horizon, in seq order. The table needs a bigserial {@code seq}, a
 * {@code txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint} and a {@code created_at} for retention;
 * the horizon comes from the platform's {@code trellis_txid_horizon()}, installed on every shard.
 */
public final class OutboxTable<R extends Record, E> implements OutboxReader<E> {
  private static final Logger log = LoggerFactory.getLogger(OutboxTable.class);
  private static final Field<Long> HORIZON = DSL.function("trellis_txid_horizon", SQLDataType.BIGINT);
  public static final int DEFAULT_MAX_BATCH = 1000;

  private final ShardedDatabase db;
  private final Table<R> table;
  private final Field<Long> seq;
  private final Field<Long> txid;
  private final Field<OffsetDateTime> createdAt;
  private final RecordMapper<? super R, ? extends E> toEvent;
  private final int maxBatch;
  private final Field<Long> bucketId; // null: rows carry no bucket

  private OutboxTable(ShardedDatabase db, Table<R> table, Field<Long> seq, Field<Long> txid,
      Field<OffsetDateTime> createdAt, RecordMapper<? super R, ? extends E> toEvent, int maxBatch,
      Field<Long> bucketId) {
    this.db = db;
    this.table = table;
    this.seq = seq;
    this.txid = txid;
    this.createdAt = createdAt;
    this.toEvent = toEvent;
    this.maxBatch = maxBatch;
    this.bucketId = bucketId;
  }

  /** The outbox {@code table} of every shard of {@code db}, mapping each row to an event. */
  public static <R extends Record, E> OutboxTable<R, E> of(ShardedDatabase db, Table<R> table, Field<Long> seq,
      Field<Long> txid, Field<OffsetDateTime> createdAt, RecordMapper<? super R, ? extends E> toEvent) {
    return new OutboxTable<>(requireNonNull(db, "db"), requireNonNull(table, "table"), requireNonNull(seq, "seq"),
        requireNonNull(txid, "txid"), requireNonNull(createdAt, "createdAt"), requireNonNull(toEvent, "toEvent"),
        DEFAULT_MAX_BATCH, null);
  }

  @Override
  public SortedSet<Integer> shards() {
    return db.shards().stream().map(Shard::index).collect(Collectors.toCollection(TreeSet::new));
  }

  @Override
  public long horizon(int shard) {
    return db.readableShard(shard).read(OutboxTable::horizon);
  }

  @Override
  public long joinedFrom(int shard) {
    // The horizon first (as in readFrom): a handoff not visible to the next query has a transaction id above it.
    return db.readableShard(shard).read(dsl -> {
      long horizon = horizon(dsl);
      Long first = dsl.select(DSL.min(DSL.field("txid", SQLDataType.BIGINT)))
          .from(DSL.table("trellis_bucket_handoff")).fetchOne(0, Long.class);
      return first == null ? horizon : Math.min(first, horizon);
    });
  }

  /** The same table read in batches of at most about {@code maxBatch} rows (default {@value #DEFAULT_MAX_BATCH}). */
  public OutboxTable<R, E> withMaxBatch(int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    }
    return new OutboxTable<>(db, table, seq, txid, createdAt, toEvent, maxBatch, bucketId);
  }

  /**
   * The same table, whose rows are of the bucket of the Trellis id in {@code id} (the entity's): a feed then keeps
   * each entity's events in order when its bucket moves to another shard (see {@link OutboxReader.Handoff}).
   */
  public OutboxTable<R, E> withBucketOf(Field<Long> id) {
    return new OutboxTable<>(db, table, seq, txid, createdAt, toEvent, maxBatch, requireNonNull(id, "id"));
  }

  @Override
  public Batch<E> readFrom(int shard, long watermark) {
    return db.readableShard(shard).read(dsl -> {
      // The horizon first: every transaction below it has ended, so the next query sees all of their rows.
      long horizon = horizon(dsl);
      long upTo = batchEnd(dsl, watermark, horizon);
      List<Stamped<E>> events = dsl.selectFrom(table)
          .where(txid.ge(watermark).and(txid.lt(upTo)))
          .orderBy(seq)
          .fetch(r -> new Stamped<>(r.get(txid), toEvent.map(r),
              bucketId == null ? Stamped.NO_BUCKET : ShardId.bucketOf(r.get(bucketId))));
      List<Handoff> handoffs = bucketId == null || events.isEmpty() ? List.of() : handoffs(dsl);
      return new Batch<>(events, upTo, upTo < horizon, handoffs);
    });
  }

  /** The buckets this shard took over, newest last (a few rows: one per move here within the retention). */
  private static List<Handoff> handoffs(DSLContext dsl) {
    return dsl.fetch("SELECT bucket, from_shard, source_txid, txid FROM trellis_bucket_handoff ORDER BY txid")
        .map(r -> new Handoff(r.get(0, Integer.class), r.get(1, Integer.class), r.get(2, Long.class),
            r.get(3, Long.class)));
  }

  /**
   * Where a batch from {@code watermark} ends (exclusive): the horizon, or the transaction id of the row just past
   * {@code maxBatch} rows. A batch ends on a transaction boundary, never inside one, so the next batch starts at a
   * transaction id none of whose rows was read yet; one transaction with more rows than that comes whole.
   */
  private long batchEnd(DSLContext dsl, long watermark, long horizon) {
    Long past = dsl.select(txid).from(table)
        .where(txid.ge(watermark).and(txid.lt(horizon)))
        .orderBy(txid).offset(maxBatch).limit(1)
        .fetchOne(txid);
    if (past == null) {
      return horizon;
    }
    if (past > watermark) {
      return past;
    }
    Long next = dsl.select(DSL.min(txid)).from(table)
        .where(txid.gt(watermark).and(txid.lt(horizon)))
        .fetchOne(DSL.min(txid));
    return next == null ? horizon : next;
  }

  /**
   * Deletes the rows older than {@code retention} on every reachable shard (a shard that is down is skipped and
   * purged next time); returns how many went.
   */
  public int purgeOlderThan(Duration retention, Instant now) {
    requireNonNull(retention, "retention");
    requireNonNull(now, "now");
    OffsetDateTime cutoff = OffsetDateTime.ofInstant(now.minus(retention), ZoneOffset.UTC);
    int purged = 0;
    // The shards serving now: one that joined since the start is purged too, a drained one no longer.
    for (Shard shard : db.shards()) {
      try {
        purged += shard.read(dsl -> dsl.deleteFrom(table).where(createdAt.lt(cutoff)).execute());
        if (bucketId != null) {
          // Typed, so the cutoff is bound as timestamptz (a plain-SQL bind went as varchar and every purge failed).
          shard.read(dsl -> dsl.deleteFrom(DSL.table("trellis_bucket_handoff"))
              .where(DSL.field("created_at", SQLDataType.TIMESTAMPWITHTIMEZONE).lt(cutoff)).execute());
        }
      } catch (UnavailableException e) {
        log.warn("cannot purge the outbox {} of shard {} now: {}", table.getName(), shard.index(), e.getMessage());
      }
    }
    return purged;
  }

  private static long horizon(DSLContext dsl) {
    return dsl.select(HORIZON).fetchSingle().value1();
  }
}
