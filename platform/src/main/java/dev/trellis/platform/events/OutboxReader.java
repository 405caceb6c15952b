package dev.trellis.platform.events;

import java.util.List;
import java.util.SortedSet;

/**
 * Reads one service's outbox table on each shard. Rows are written in the same transaction as the change they
 * describe, and stamped with the writing transaction's id ({@code xid8 DEFAULT pg_current_xact_id()}).
 *
 * <p>Why a transaction-id watermark and not "seq > last seen": sequence numbers are taken before commit, so a
 * row with a lower seq can become visible after one with a higher seq, and a reader that advanced past it would
 * lose it. Every transaction whose id is below {@code pg_snapshot_xmin(pg_current_snapshot())} has ended, so the
 * rows below that horizon are final. Reading [watermark, horizon) and moving the watermark to the horizon sees
 * every row exactly once. Within a batch rows come in seq order, which for one entity is commit order, because the
 * writer holds the entity's row lock while it inserts the event.
 *
 * @param <E> the event type
 */
public interface OutboxReader<E> {
  /** The horizon on a shard now: a new subscriber starts there and sees only later changes. */
  long horizon(int shard);

  /**
   * The final events of a shard from the watermark (inclusive) up to the current horizon (exclusive), or, when
   * there are many, up to a transaction id before it ({@link Batch#more()}): a reader bounds its batches, so a burst
   * of writes (or a long transaction holding the horizon back) never lands in memory at once.
   */
  Batch<E> readFrom(int shard, long watermark);

  /**
   * The shards whose outbox it reads now, by index. The set changes while the service runs, when shards join or
   * leave the database's shard set (resharding); a feed follows it. A shard that just left stays readable a little
   * longer, so that a feed can deliver the last of its events.
   */
  SortedSet<Integer> shards();

  /**
   * Where a feed that meets {@code shard} while it runs (the shard joined the set) starts reading it, so that the
   * subscriptions it already has miss none of its events: the transaction id of the first bucket handed over to it
   * ({@link Handoff}), or its horizon when it took over none yet. A joining shard holds no other events: an
   * outbox's rows stay where they were written, and a bucket's events are written on its new owner only after the
   * handoff (earlier ones, of a time the shard served before it was drained, are older than every handoff it keeps).
   */
  long joinedFrom(int shard);

  /**
   * @param events in seq order
   * @param nextWatermark the transaction id the batch was read up to (exclusive): the horizon, or less when cut
   * @param more whether the batch was cut before the horizon, so that more events wait to be read right away
   * @param handoffs the buckets this shard took over that an event of the batch may have to wait for
   */
  record Batch<E>(List<Stamped<E>> events, long nextWatermark, boolean more, List<Handoff> handoffs) {
    public Batch {
      events = List.copyOf(events);
      handoffs = List.copyOf(handoffs);
    }

    /** A batch of a shard that took over no bucket. */
    public Batch(List<Stamped<E>> events, long nextWatermark, boolean more) {
      this(events, nextWatermark, more, List.of());
    }

    /** A batch read all the way to the horizon. */
    public Batch(List<Stamped<E>> events, long horizon) {
      this(events, horizon, false);
    }
  }

  /**
   * An event with the id of the transaction that wrote it.
   *
   * @param txid the writing transaction's id (xid8 as a long)
   * @param bucket the bucket of the entity it is about, or {@link #NO_BUCKET}
   */
  record Stamped<E>(long txid, E event, int bucket) {
    /** Of an outbox whose rows carry no bucket: never held back after a move. */
    public static final int NO_BUCKET = -1;

    public Stamped(long txid, E event) {
      this(txid, event, NO_BUCKET);
    }
  }

  /**
   * A bucket this shard took over from another (dev.trellis.platform.data.BucketMover): its events here written
   * after the handoff ({@code txid} above {@link #txid}) come after every event of it on {@link #fromShard}, all of
   * which are below {@link #sourceTxid} there.
   *
   * @param txid the id of the transaction that wrote the handoff on this shard
   */
  record Handoff(int bucket, int fromShard, long sourceTxid, long txid) {}
}
