package dev.trellis.order.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Where the contract declares that a user must own what an OrderService or InventoryService RPC touches
 * ({@code owner_only}, what the README and the OpenAPI document say), {@link OrderAccessRules} holds that rule: a
 * user acts on its own orders and not on another's, an admin on anyone's. Who may call each RPC at all is the
 * chain's, from the same declarations (OrderServiceAccessIT); no rule here repeats it.
 */
class OrderAccessDeclarationsTest {
  private static final long OWN = 7;
  private static final long OTHER = 8;
  private static final Principal USER = new Principal(Long.toString(OWN), Set.of(Principal.USER));
  private static final Principal ADMIN = new Principal("1", Set.of(Principal.ADMIN));

  /** The ownership rule of each owner_only RPC, applied by a caller to what the user with the given id owns. */
  private static final Map<String, BiConsumer<Principal, Long>> OWNERSHIP_RULES = Map.of(
      "CreateOrder", OrderAccessRules::checkCreate,
      "ListOrders", OrderAccessRules::checkList,
      "GetOrder", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "CancelOrder", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "WatchOrder", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "TrackOrders", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)));

  private final List<AccessDeclaration> declarations = Stream.of("trellis.order.v1.OrderService",
      "trellis.order.v1.InventoryService").flatMap(s -> MethodAccessTable.load().ofService(s).stream()).toList();

  @Test
  void exactlyTheRpcsDeclaredOwnerOnlyHaveAnOwnershipRule() {
    assertThat(declarations).filteredOn(AccessDeclaration::ownerOnly).extracting(AccessDeclaration::methodName)
        .containsExactlyInAnyOrderElementsOf(OWNERSHIP_RULES.keySet());
  }

  @Test
  void aUserActsOnlyOnItsOwnAndAnAdminOnAnyonesWhereTheContractSaysOwnerOnly() {
    List<AccessDeclaration> ownerOnly = declarations.stream().filter(AccessDeclaration::ownerOnly).toList();
    assertThat(ownerOnly).isNotEmpty();
    for (AccessDeclaration d : ownerOnly) {
      BiConsumer<Principal, Long> rule = OWNERSHIP_RULES.get(d.methodName());
      assertThat(rule).as(d.methodName() + "'s ownership rule").isNotNull();
      assertThat(allows(rule, USER, OWN)).as(d.methodName() + " by a user on its own").isTrue();
      assertThat(allows(rule, USER, OTHER)).as(d.methodName() + " by a user on another's").isFalse();
      assertThat(allows(rule, ADMIN, OTHER)).as(d.methodName() + " by an admin on another's").isTrue();
    }
  }

  private static boolean allows(BiConsumer<Principal, Long> rule, Principal caller, long owner) {
    try {
      rule.accept(caller, owner);
      return true;
    } catch (PermissionDeniedException e) {
      return false;
    }
  }
}
