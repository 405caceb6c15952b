package dev.trellis.user.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One committed change to a user, as the outbox recorded it.
 *
 * @param type "CREATED", "UPDATED" or "DELETED"
 * @param user the user after the change; for DELETED, as it was
 * @param at when the change was made
 */
public record UserEvent(String type, StoredUser user, Instant at) {
  public UserEvent {
    requireNonNull(type, "type");
    requireNonNull(user, "user");
    requireNonNull(at, "at");
  }

  public long userId() {
    return user.id();
  }
}
