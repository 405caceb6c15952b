package dev.trellis.user.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * A user as stored. Not a protobuf type: the gRPC adapter converts.
 *
 * @param id positive, unique across all shards; carries the bucket of the user's shard
 * @param email as given at creation or last change (uniqueness is case-insensitive)
 * @param name byte-exact as given
 * @param roles in the order given
 * @param createdAt when the user was created (microsecond precision, as PostgreSQL keeps it)
 * @param updatedAt when the user last changed
 */
public record StoredUser(long id, String email, String name, List<String> roles, Instant createdAt,
    Instant updatedAt) {
  public StoredUser {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    roles = List.copyOf(requireNonNull(roles, "roles"));
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }
}
