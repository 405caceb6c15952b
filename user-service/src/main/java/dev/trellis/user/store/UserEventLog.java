package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.USER_EVENTS;

import dev.trellis.user.store.jooq.tables.records.UsersRecord;
import org.jooq.DSLContext;

/**
 * Appends to the user_events outbox, always inside the transaction of the change it records, so an event exists
 * exactly when its change committed. {@link UserEventReader} reads it for SubscribeToUpdates.
 */
final class UserEventLog {
  static final String CREATED = "CREATED";
  static final String UPDATED = "UPDATED";
  static final String DELETED = "DELETED";

  private UserEventLog() {}

  /** Records {@code type} with the user as it is after the change (for DELETED: as it was). */
  static void append(DSLContext tx, String type, UsersRecord user) {
    tx.insertInto(USER_EVENTS)
        .set(USER_EVENTS.USER_ID, user.getId())
        .set(USER_EVENTS.EVENT_TYPE, type)
        .set(USER_EVENTS.EMAIL, user.getEmail())
        .set(USER_EVENTS.NAME, user.getName())
        .set(USER_EVENTS.ROLES, user.getRoles())
        .set(USER_EVENTS.USER_CREATED_AT, user.getCreatedAt())
        .set(USER_EVENTS.USER_UPDATED_AT, user.getUpdatedAt())
        .execute();
  }
}
