package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;
import java.util.Set;

/**
 * Who is calling, as proven by a verified token or the mesh identity: the JWT {@code sub} (a user id, or a
 * service name for services) and its roles.
 *
 * @param subject the JWT subject
 * @param roles the roles of the caller, from {@link #USER}, {@link #ADMIN}, {@link #SERVICE}
 */
public record Principal(String subject, Set<String> roles) {
  public static final String USER = "user";
  public static final String ADMIN = "admin";
  public static final String SERVICE = "service";

  public Principal {
    requireNonNull(subject, "subject");
    roles = Set.copyOf(requireNonNull(roles, "roles"));
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  public boolean isAdmin() {
    return hasRole(ADMIN);
  }

  public boolean isService() {
    return hasRole(SERVICE);
  }

  /** The user id this principal speaks for, when the subject is one (services have names, not ids). */
  public OptionalLong userId() {
    if (isService()) {
      return OptionalLong.empty();
    }
    try {
      long id = Long.parseLong(subject);
      return id > 0 ? OptionalLong.of(id) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** True when this principal is the user with the given id. */
  public boolean isUser(long userId) {
    OptionalLong own = userId();
    return own.isPresent() && own.getAsLong() == userId;
  }
}
