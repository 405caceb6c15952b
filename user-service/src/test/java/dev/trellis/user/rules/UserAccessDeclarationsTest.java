package dev.trellis.user.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * The contract's access declarations of UserService (what the mesh and the README say) agree with
 * {@link UserAccessRules} (what the service does): each declared role may call, an undeclared one is refused, and
 * where the declaration names an owner field, a user may act only on itself.
 */
class UserAccessDeclarationsTest {
  private static final long OWN = 7;
  private static final long OTHER = 8;
  private static final Principal USER = new Principal(Long.toString(OWN), Set.of(Principal.USER));
  private static final Principal ADMIN = new Principal("1", Set.of(Principal.ADMIN));
  private static final Principal ORDER_SERVICE = new Principal("order-service", Set.of(Principal.SERVICE));

  /** Each RPC's rule, applied by a caller to the user with the given id. */
  private static final Map<String, BiConsumer<Principal, Long>> RULES = Map.of(
      "GetUser", UserAccessRules::checkGet,
      "ListUsers", (caller, id) -> UserAccessRules.checkList(caller),
      "CreateUser", (caller, id) -> UserAccessRules.checkCreate(caller),
      "UpdateUser", (caller, id) -> UserAccessRules.checkUpdate(caller, id, UserChanges.none().withName("n"), List::of),
      "DeleteUser", (caller, id) -> UserAccessRules.checkDelete(caller),
      "SubscribeToUpdates", (caller, id) -> UserAccessRules.checkSubscribe(caller, List.of(id)),
      "ImportUsers", (caller, id) -> UserAccessRules.checkImport(caller));

  private final List<AccessDeclaration> declarations =
      MethodAccessTable.load().ofService("trellis.user.v1.UserService");

  @Test
  void everyRpcOfUserServiceHasARuleHere() {
    assertThat(declarations).extracting(AccessDeclaration::methodName)
        .containsExactlyInAnyOrderElementsOf(RULES.keySet());
  }

  @Test
  void declaredRolesAndServicesAreWhatTheRulesAllow() {
    for (AccessDeclaration d : declarations) {
      BiConsumer<Principal, Long> rule = RULES.get(d.methodName());
      assertThat(allows(rule, USER, OWN)).as(d.methodName() + " by a user").isEqualTo(d.allowsRole("user"));
      assertThat(allows(rule, ADMIN, OTHER)).as(d.methodName() + " by an admin").isEqualTo(d.allowsRole("admin"));
      assertThat(allows(rule, ORDER_SERVICE, OTHER)).as(d.methodName() + " by order-service")
          .isEqualTo(d.allowsService("order-service"));
      if (d.ownerField().isPresent()) {
        assertThat(allows(rule, USER, OTHER)).as(d.methodName() + " by a user on another user").isFalse();
      }
    }
  }

  private static boolean allows(BiConsumer<Principal, Long> rule, Principal caller, long userId) {
    try {
      rule.accept(caller, userId);
      return true;
    } catch (PermissionDeniedException e) {
      return false;
    }
  }
}
