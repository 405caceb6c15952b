package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.USER_EVENTS;
import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.events.OutboxReader;
import dev.trellis.user.store.jooq.Routines;
import dev.trellis.user.store.jooq.tables.records.UserEventsRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Reads the user_events outbox of every user shard for the SubscribeToUpdates feed, by transaction-id watermark
 * (see {@link OutboxReader} for why that loses nothing), and purges rows past their retention.
 */
public final class UserEventReader implements OutboxReader<UserEvent> {
  private final ShardedDatabase db;

  public UserEventReader(ShardedDatabase db) {
    this.db = requireNonNull(db, "db");
  }

  @Override
  public int shardCount() {
    return db.shards().size();
  }

  @Override
  public long horizon(int shard) {
    return db.shard(shard).read(dsl -> dsl.select(Routines.trellisTxidHorizon()).fetchOne().value1());
  }

  @Override
  public Batch<UserEvent> readFrom(int shard, long watermark) {
    return db.shard(shard).read(dsl -> {
      // The horizon first: every transaction below it has ended, so the second query sees all of their rows.
      long horizon = dsl.select(Routines.trellisTxidHorizon()).fetchOne().value1();
      List<Stamped<UserEvent>> events = dsl.selectFrom(USER_EVENTS)
          .where(USER_EVENTS.TXID.ge(watermark).and(USER_EVENTS.TXID.lt(horizon)))
          .orderBy(USER_EVENTS.SEQ)
          .fetch(r -> new Stamped<>(r.getTxid(), toEvent(r)));
      return new Batch<>(events, horizon);
    });
  }

  /** Deletes the outbox rows older than the retention on every reachable shard; returns how many went. */
  public int purgeOlderThan(Duration retention, Instant now) {
    requireNonNull(retention, "retention");
    requireNonNull(now, "now");
    OffsetDateTime cutoff = OffsetDateTime.ofInstant(now.minus(retention), ZoneOffset.UTC);
    int purged = 0;
    for (int shard = 0; shard < shardCount(); shard++) {
      purged += db.shard(shard).transaction(tx ->
          tx.deleteFrom(USER_EVENTS).where(USER_EVENTS.CREATED_AT.lt(cutoff)).execute());
    }
    return purged;
  }

  private static UserEvent toEvent(UserEventsRecord r) {
    StoredUser user = new StoredUser(r.getUserId(), r.getEmail(), r.getName(), List.of(r.getRoles()),
        r.getUserCreatedAt().toInstant(), r.getUserUpdatedAt().toInstant());
    return new UserEvent(r.getEventType(), user, r.getCreatedAt().toInstant());
  }
}
