package dev.trellis.user.rules;

import java.util.List;
import java.util.Optional;

/** The validated changes of an UpdateUser call: only the fields named in the update mask are present. */
public record UserChanges(Optional<String> email, Optional<String> name, Optional<List<String>> roles) {
  public UserChanges {
    roles = roles.map(List::copyOf);
  }

  public boolean changesRoles() {
    return roles.isPresent();
  }

  public boolean isEmpty() {
    return email.isEmpty() && name.isEmpty() && roles.isEmpty();
  }
}
