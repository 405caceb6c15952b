package dev.trellis.user.rules;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which users a caller may act on, once the chain's access step has let it call the RPC at all (the roles and
 * services each RPC's {@code (trellis.access.v1.access)} option declares in user_service.proto; they are not
 * repeated here). Admins may act on every user; a user (JWT subject = its id) only on itself, and never on its own
 * roles; ownership does not bind a service the contract admits (order-service reading the buyer), which is no end
 * user. Everything else is PERMISSION_DENIED.
 */
public final class UserAccessRules {
  private UserAccessRules() {}

  /** Whether the caller may read user {@code userId}: its own record, or any as an admin or an admitted service. */
  public static void checkGet(Principal caller, long userId) {
    requireNonNull(caller, "caller");
    if (caller.isAdmin() || caller.isService() || caller.isUser(userId)) {
      return;
    }
    throw deny("read this user");
  }

  /**
   * The one access decision of an update: the changes {@code caller} may make to user {@code userId}. An admin may
   * make any; the user itself may change everything but its roles; nobody else may change it. Setting the roles the
   * user already has (a full replacement with mask "*" repeats them) is no change of roles, so only then are the
   * current roles asked for.
   *
   * @param currentRoles the user's roles now; asked for at most once, and only when a non-admin sends roles
   * @return the changes to apply: {@code changes}, without the roles when they are the ones the user has
   */
  public static UserChanges checkUpdate(Principal caller, long userId, UserChanges changes,
      Supplier<List<String>> currentRoles) {
    requireNonNull(caller, "caller");
    requireNonNull(changes, "changes");
    requireNonNull(currentRoles, "currentRoles");
    if (caller.isAdmin()) {
      return changes;
    }
    if (!caller.isUser(userId)) {
      throw deny("change this user");
    }
    UserChanges allowed = changes.changesRoles() ? changes.withoutRolesAlreadyHeld(currentRoles.get()) : changes;
    if (allowed.changesRoles()) {
      throw deny("change roles");
    }
    return allowed;
  }

  /**
   * Whether this update spends one of the caller's email changes: a non-admin moving its email to another address
   * (case aside). Every such try tells whether the new address is registered, so those are limited per user; admins
   * can list users anyway.
   */
  public static boolean limitsEmailChange(Principal caller, UserChanges changes, String currentEmail) {
    requireNonNull(caller, "caller");
    requireNonNull(changes, "changes");
    requireNonNull(currentEmail, "currentEmail");
    return !caller.isAdmin() && changes.email().filter(email -> !email.equalsIgnoreCase(currentEmail)).isPresent();
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

  private static PermissionDeniedException deny(String action) {
    return new PermissionDeniedException("the caller may not " + action);
  }
}
