package dev.trellis.user.rules;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A user to create, already validated: a well-formed email, a name of 1..200 characters, known roles.
 *
 * @param roles distinct, in a stable order, never empty ("user" when none was asked for)
 */
public record NewUser(String email, String name, List<String> roles) {
  public NewUser {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    roles = List.copyOf(roles);
  }
}
