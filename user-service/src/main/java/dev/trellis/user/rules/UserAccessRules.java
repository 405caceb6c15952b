package dev.trellis.user.rules;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.Collection;

/**
 * Who may do what with users. Admins may do everything. A user (JWT subject = its id) may read and change itself
 * and follow its own updates, but not its roles. A service may read users (order-service checks the buyer).
 * Everything else is PERMISSION_DENIED.
 */
public final class UserAccessRules {
  private UserAccessRules() {}

  public static void checkGet(Principal caller, long userId) {
    requireNonNull(caller, "caller");
    if (caller.isAdmin() || caller.isService() || caller.isUser(userId)) {
      return;
    }
    throw deny("read this user");
  }

  /**
   * @param changesRoles whether the update touches roles: only admins may, so a user cannot raise its own
   */
  public static void checkUpdate(Principal caller, long userId, boolean changesRoles) {
    requireNonNull(caller, "caller");
    if (caller.isAdmin()) {
      return;
    }
    if (!caller.isUser(userId)) {
      throw deny("change this user");
    }
    if (changesRoles) {
      throw deny("change roles");
    }
  }

  public static void checkCreate(Principal caller) {
    requireAdmin(caller, "create users");
  }

  public static void checkDelete(Principal caller) {
    requireAdmin(caller, "delete users");
  }

  public static void checkList(Principal caller) {
    requireAdmin(caller, "list users");
  }

  public static void checkImport(Principal caller) {
    requireAdmin(caller, "import users");
  }

  /** Empty ids means every user, which only admins may follow. */
  public static void checkSubscribe(Principal caller, Collection<Long> userIds) {
    requireNonNull(caller, "caller");
    requireNonNull(userIds, "userIds");
    if (caller.isAdmin()) {
      return;
    }
    if (userIds.isEmpty()) {
      throw deny("follow every user");
    }
    for (long id : userIds) {
      if (!caller.isUser(id)) {
        throw deny("follow other users");
      }
    }
  }

  private static void requireAdmin(Principal caller, String action) {
    requireNonNull(caller, "caller");
    if (!caller.isAdmin()) {
      throw deny(action);
    }
  }

  private static PermissionDeniedException deny(String action) {
    return new PermissionDeniedException("the caller may not " + action);
  }
}
