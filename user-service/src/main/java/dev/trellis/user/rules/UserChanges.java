package dev.trellis.user.rules;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The fields an update changes, validated ({@link UserValidation#changes}); an empty field stays as it is (only the
 * update_mask paths are filled). The store applies them.
 */
public record UserChanges(Optional<String> email, Optional<String> name, Optional<List<String>> roles) {
  public UserChanges {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    roles = requireNonNull(roles, "roles").map(List::copyOf);
  }

  /** Changes nothing; add fields with the withers. */
  public static UserChanges none() {
    return new UserChanges(Optional.empty(), Optional.empty(), Optional.empty());
  }

  public UserChanges withEmail(String email) {
    return new UserChanges(Optional.of(email), name, roles);
  }

  public UserChanges withName(String name) {
    return new UserChanges(email, Optional.of(name), roles);
  }

  public UserChanges withRoles(List<String> roles) {
    return new UserChanges(email, name, Optional.of(roles));
  }

  /** These changes without the roles, when they would set the roles the user already has (in any order). */
  public UserChanges withoutRolesAlreadyHeld(List<String> current) {
    if (roles.isPresent() && Set.copyOf(roles.get()).equals(Set.copyOf(current))) {
      return new UserChanges(email, name, Optional.empty());
    }
    return this;
  }

  /** Only admins may change roles: the access rules ask this. */
  public boolean changesRoles() {
    return roles.isPresent();
  }
}
