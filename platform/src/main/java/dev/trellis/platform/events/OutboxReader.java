package dev.trellis.platform.events;

import java.util.List;

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

  /** How many shards there are. */
  int shardCount();

  /**
   * @param events in seq order
   * @param nextWatermark the transaction id the batch was read up to (exclusive): the horizon, or less when cut
   * @param more whether the batch was cut before the horizon, so that more events wait to be read right away
   */
  record Batch<E>(List<Stamped<E>> events, long nextWatermark, boolean more) {
    public Batch {
      events = List.copyOf(events);
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
   */
  record Stamped<E>(long txid, E event) {}
}
