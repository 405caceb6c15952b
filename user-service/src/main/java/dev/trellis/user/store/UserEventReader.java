package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.USER_EVENTS;

import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.events.OutboxTable;
import dev.trellis.user.store.jooq.tables.records.UserEventsRecord;
import java.util.List;

/** The user_events outbox of every user shard, read for the SubscribeToUpdates feed (see {@link OutboxTable}). */
public final class UserEventReader {
  private UserEventReader() {}

  public static OutboxTable<UserEventsRecord, UserEvent> of(ShardedDatabase db) {
    return OutboxTable.of(db, USER_EVENTS, USER_EVENTS.SEQ, USER_EVENTS.TXID, USER_EVENTS.CREATED_AT,
        UserEventReader::toEvent).withBucketOf(USER_EVENTS.USER_ID);
  }

  private static UserEvent toEvent(UserEventsRecord r) {
    StoredUser user = new StoredUser(r.getUserId(), r.getEmail(), r.getName(), List.of(r.getRoles()),
        r.getUserCreatedAt().toInstant(), r.getUserUpdatedAt().toInstant());
    return new UserEvent(r.getEventType(), user, r.getCreatedAt().toInstant());
  }
}
