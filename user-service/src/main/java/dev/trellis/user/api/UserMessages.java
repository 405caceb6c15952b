package dev.trellis.user.api;

import dev.trellis.user.store.StoredUser;
import dev.trellis.user.store.UserEvent;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserUpdate;

/** Converts the store's users and events into the API's messages. */
final class UserMessages {
  private UserMessages() {}

  static User toProto(StoredUser user) {
    return User.newBuilder()
        .setId(user.id())
        .setEmail(user.email())
        .setName(user.name())
        .addAllRoles(user.roles())
        .setCreatedAt(user.createdAt().getEpochSecond())
        .setUpdatedAt(user.updatedAt().getEpochSecond())
        .build();
  }

  static UserUpdate toProto(UserEvent event) {
    return UserUpdate.newBuilder()
        .setUserId(event.userId())
        .setEventType(event.type())
        .setUser(toProto(event.user()))
        .setTimestamp(event.at().toEpochMilli())
        .build();
  }
}
