package dev.trellis.order.rules;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.NotFoundException;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.OptionalLong;

/**
 * Whose orders a caller may act on, once the chain's access step has let it call the RPC at all (the roles and
 * services each RPC's {@code (trellis.access.v1.access)} option declares in order_service.proto and
 * inventory_service.proto; they are not repeated here). A user (JWT subject = its id) places, reads, lists, watches
 * and cancels its own orders; admins all orders. Where the contract says owner_only, these rules say how
 * (OrderAccessDeclarationsTest).
 *
 * <p>An order a non-admin may not see is PERMISSION_DENIED whether or not it exists (AIP-211), so order ids tell
 * nothing about other users' orders; only admins learn NOT_FOUND.
 */
public final class OrderAccessRules {
  /** The resource type in NOT_FOUND details of orders. */
  public static final String ORDER_RESOURCE = "trellis.order.v1.Order";

  private OrderAccessRules() {}

  public static void checkCreate(Principal caller, long userId) {
    checkOwnOrAdmin(caller, userId, "place orders for another user");
  }

  public static void checkList(Principal caller, long userId) {
    checkOwnOrAdmin(caller, userId, "list another user's orders");
  }

  /**
   * Whether the caller may read (watch, cancel) an order.
   *
   * @param owner the user of the order with that id, empty when there is no such order
   * @throws PermissionDeniedException for a non-admin when the order is not its own or does not exist
   * @throws NotFoundException for an admin when it does not exist
   */
  public static void checkOrder(Principal caller, long orderId, OptionalLong owner) {
    requireNonNull(caller, "caller");
    requireNonNull(owner, "owner");
    if (caller.isAdmin()) {
      if (owner.isEmpty()) {
        throw notFound(orderId);
      }
      return;
    }
    if (owner.isEmpty() || !caller.isUser(owner.getAsLong())) {
      throw deny("see order " + orderId);
    }
  }

  /** NOT_FOUND of an order, with its resource name. */
  public static NotFoundException notFound(long orderId) {
    return new NotFoundException(ORDER_RESOURCE, "orders/" + orderId);
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
