package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

/** The buyer as user-service knows it: whom the notifications go to. */
public record VerifiedUser(long id, String email, String name) {
  public VerifiedUser {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
  }
}
