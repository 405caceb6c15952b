package dev.trellis.user.rules;

import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.validation.Violations;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a valid user request looks like. Every check reports all bad fields at once (one BadRequest with several
 * violations) so a client can fix a form in one round trip. Names are kept byte-exact: no trimming, no Unicode
 * normalization; length counts characters (code points), not bytes or UTF-16 units. Lists are bounded (a request
 * naming more mask paths, roles or ids than that gets one violation for the list), and text must be storable
 * ({@link Violations}).
 */
public final class UserValidation {
  public static final int MAX_NAME_LENGTH = 200;
  public static final int MAX_EMAIL_LENGTH = 254;
  public static final int MAX_PAGE_SIZE = 1000;
  public static final Set<String> KNOWN_ROLES = Set.of("user", "admin");
  /** More than there are User fields to name, so a real mask always fits. */
  public static final int MAX_MASK_PATHS = 16;
  public static final int MAX_ROLES = 16;
  public static final int MAX_SUBSCRIBED_IDS = 1000;

  /** Pragmatic RFC 5322 subset: one @, no spaces or controls, a dot in the domain, no empty labels. */
  private static final Pattern EMAIL = Pattern.compile(
      "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\\p{L}\\p{N}-]+@[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,62}[\\p{L}\\p{N}])?"
          + "(?:\\.[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,62}[\\p{L}\\p{N}])?)+$");

  private UserValidation() {}

  /** Checks a CreateUser request (or an ImportUsers item); field names are those of CreateUserRequest. */
  public static NewUser newUser(String email, String name, List<String> roles) {
    Violations violations = new Violations();
    checkEmail("email", email, violations);
    checkName("name", name, violations);
    List<String> cleanRoles = checkRoles("roles", roles, violations);
    violations.throwIfAny();
    return new NewUser(email, name, cleanRoles.isEmpty() ? List.of("user") : cleanRoles);
  }

  /**
   * Checks an UpdateUser request per AIP-134. The mask paths name User fields: "email", "name", "roles"; "*" means
   * all of them; an empty mask means every field the request populates. "id", "created_at" and "updated_at" are
   * immutable and unknown paths are rejected.
   */
  public static UserChanges changes(
      long id, List<String> maskPaths, String email, String name, List<String> roles) {
    Violations violations = new Violations();
    checkId("id", id, violations);
    Set<String> paths = new LinkedHashSet<>();
    if (!violations.size("update_mask.paths", maskPaths, MAX_MASK_PATHS)) {
      violations.throwIfAny(); // the paths say nothing trustworthy about what to check next
    }
    if (maskPaths.isEmpty()) {
      if (!email.isEmpty()) {
        paths.add("email");
      }
      if (!name.isEmpty()) {
        paths.add("name");
      }
      if (!roles.isEmpty()) {
        paths.add("roles");
      }
    } else {
      for (String path : maskPaths) {
        switch (path) {
          case "*" -> paths.addAll(List.of("email", "name", "roles"));
          case "email", "name", "roles" -> paths.add(path);
          case "id", "created_at", "updated_at" ->
              violations.add("update_mask", "'" + path + "' is immutable");
          default -> violations.add("update_mask", "unknown field '" + path + "'");
        }
      }
    }
    if (paths.isEmpty() && violations.isEmpty()) {
      violations.add("update_mask", "names no field to change");
    }
    Optional<String> newEmail = Optional.empty();
    Optional<String> newName = Optional.empty();
    Optional<List<String>> newRoles = Optional.empty();
    if (paths.contains("email")) {
      checkEmail("user.email", email, violations);
      newEmail = Optional.of(email);
    }
    if (paths.contains("name")) {
      checkName("user.name", name, violations);
      newName = Optional.of(name);
    }
    if (paths.contains("roles")) {
      List<String> clean = checkRoles("user.roles", roles, violations);
      newRoles = Optional.of(clean.isEmpty() ? List.of("user") : clean);
    }
    violations.throwIfAny();
    return new UserChanges(newEmail, newName, newRoles);
  }

  /** Ids are positive; 0 is "not set" in proto3. */
  public static void id(String field, long id) {
    Violations violations = new Violations();
    checkId(field, id, violations);
    violations.throwIfAny();
  }

  /** At most {@value #MAX_SUBSCRIBED_IDS} positive ids. */
  public static void ids(String field, List<Long> ids) {
    Violations violations = new Violations();
    if (violations.size(field, ids, MAX_SUBSCRIBED_IDS)) {
      for (int i = 0; i < ids.size(); i++) {
        checkId(field + "[" + i + "]", ids.get(i), violations);
      }
    }
    violations.throwIfAny();
  }

  public static void pageSize(int pageSize) {
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw InvalidArgumentException.of("page_size", "must be between 0 and " + MAX_PAGE_SIZE + ", got " + pageSize);
    }
  }

  private static void checkId(String field, long id, Violations violations) {
    if (id <= 0) {
      violations.add(field, "must be a positive id, got " + id);
    }
  }

  private static void checkEmail(String field, String email, Violations violations) {
    if (email.isEmpty()) {
      violations.add(field, "is required");
    } else if (email.length() > MAX_EMAIL_LENGTH) {
      violations.add(field, "must be at most " + MAX_EMAIL_LENGTH + " characters");
    } else if (violations.storableText(field, email) && !EMAIL.matcher(email).matches()) {
      violations.add(field, "must be an email address such as name@example.com");
    }
  }

  private static void checkName(String field, String name, Violations violations) {
    if (name.isBlank()) {
      violations.add(field, "is required");
      return;
    }
    if (!violations.storableText(field, name)) {
      return;
    }
    int length = name.codePointCount(0, name.length());
    if (length > MAX_NAME_LENGTH) {
      violations.add(field, "must be at most " + MAX_NAME_LENGTH + " characters, got " + length);
    } else if (name.codePoints().anyMatch(Character::isISOControl)) {
      violations.add(field, "must not contain control characters");
    }
  }

  private static List<String> checkRoles(String field, List<String> roles, Violations violations) {
    if (!violations.size(field, roles, MAX_ROLES)) {
      return List.of();
    }
    Set<String> clean = new LinkedHashSet<>();
    for (int i = 0; i < roles.size(); i++) {
      String role = roles.get(i);
      if (KNOWN_ROLES.contains(role)) {
        clean.add(role);
      } else {
        violations.add(field + "[" + i + "]", "must be one of admin, user; got '" + role + "'");
      }
    }
    return List.copyOf(clean);
  }
}
