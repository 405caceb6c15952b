package dev.trellis.order.rules;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.OrderStore;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.Optional;

/**
 * Who may do what with orders and stock. A user (JWT subject = its id) places, reads, lists, watches and cancels
 * its own orders; admins all orders. Anyone with an identity reads stock; only admins set it. Services may do
 * nothing with orders (no rule asks for it yet).
 *
 * <p>An order a non-admin may not see is PERMISSION_DENIED whether or not it exists (AIP-211), so order ids tell
 * nothing about other users' orders; only admins learn NOT_FOUND.
 */
public final class OrderAccessRules {
  private OrderAccessRules() {}

  public static void checkCreate(Principal caller, long userId) {
    checkOwnOrAdmin(caller, userId, "place orders for another user");
  }

  public static void checkList(Principal caller, long userId) {
    checkOwnOrAdmin(caller, userId, "list another user's orders");
  }

  /**
   * The order, when the caller may read (watch, cancel) it.
   *
   * @param order the order with that id, if it exists
   * @throws PermissionDeniedException for a non-admin when the order is not its own or does not exist
   * @throws dev.trellis.platform.error.NotFoundException for an admin when it does not exist
   */
  public static StoredOrder checkOrder(Principal caller, long orderId, Optional<StoredOrder> order) {
    requireNonNull(caller, "caller");
    requireNonNull(order, "order");
    if (caller.isAdmin()) {
      return order.orElseThrow(() -> OrderStore.notFound(orderId));
    }
    if (order.isPresent() && caller.isUser(order.get().userId())) {
      return order.get();
    }
    throw deny("see order " + orderId);
  }

  /** Any verified caller (users, admins, services) may read stock. */
  public static void checkGetStock(Principal caller) {
    requireNonNull(caller, "caller");
  }

  public static void checkSetStock(Principal caller) {
    requireNonNull(caller, "caller");
    if (!caller.isAdmin()) {
      throw deny("set stock");
    }
  }

  private static void checkOwnOrAdmin(Principal caller, long userId, String action) {
    requireNonNull(caller, "caller");
    if (!caller.isAdmin() && !caller.isUser(userId)) {
      throw deny(action);
    }
  }

  private static PermissionDeniedException deny(String action) {
    return new PermissionDeniedException("the caller may not " + action);
  }
}
