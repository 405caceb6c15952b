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
 * The contract's access declarations of OrderService and InventoryService (what the mesh and the README say) agree
 * with {@link OrderAccessRules} (what the service does): each declared role may call, an undeclared role or service
 * is refused, and where the declaration says the caller must own what it touches, a user may act only on its own.
 */
class OrderAccessDeclarationsTest {
  private static final long OWN = 7;
  private static final long OTHER = 8;
  private static final Principal USER = new Principal(Long.toString(OWN), Set.of(Principal.USER));
  private static final Principal ADMIN = new Principal("1", Set.of(Principal.ADMIN));
  private static final Principal SOME_SERVICE = new Principal("user-service", Set.of(Principal.SERVICE));

  /** Each RPC's rule, applied by a caller to what the user with the given id owns. */
  private static final Map<String, BiConsumer<Principal, Long>> RULES = Map.of(
      "CreateOrder", OrderAccessRules::checkCreate,
      "ListOrders", OrderAccessRules::checkList,
      "GetOrder", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "CancelOrder", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "WatchOrder", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "TrackOrders", (caller, owner) -> OrderAccessRules.checkOrder(caller, 100, OptionalLong.of(owner)),
      "GetStock", (caller, owner) -> OrderAccessRules.checkGetStock(caller),
      "SetStock", (caller, owner) -> OrderAccessRules.checkSetStock(caller));

  private final List<AccessDeclaration> declarations = Stream.of("trellis.order.v1.OrderService",
      "trellis.order.v1.InventoryService").flatMap(s -> MethodAccessTable.load().ofService(s).stream()).toList();

  @Test
  void everyRpcOfOrderServiceAndInventoryServiceHasARuleHere() {
    assertThat(declarations).extracting(AccessDeclaration::methodName)
        .containsExactlyInAnyOrderElementsOf(RULES.keySet());
  }

  @Test
  void declaredRolesAndServicesAreWhatTheRulesAllow() {
    for (AccessDeclaration d : declarations) {
      BiConsumer<Principal, Long> rule = RULES.get(d.methodName());
      assertThat(allows(rule, USER, OWN)).as(d.methodName() + " by a user").isEqualTo(d.allowsRole("user"));
      assertThat(allows(rule, ADMIN, OTHER)).as(d.methodName() + " by an admin").isEqualTo(d.allowsRole("admin"));
      assertThat(allows(rule, SOME_SERVICE, OTHER)).as(d.methodName() + " by a service")
          .isEqualTo(d.allowsService("user-service"));
      if (d.ownerOnly()) {
        assertThat(allows(rule, USER, OTHER)).as(d.methodName() + " by a user on another's").isFalse();
      }
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
