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
 * Where the contract declares that a user must own what a UserService RPC touches ({@code owner_only}, what the
 * README and the OpenAPI document say), {@link UserAccessRules} holds that rule: a user acts on itself and not on
 * another user, an admin on anyone. Who may call each RPC at all is the chain's, from the same declarations
 * (UserServiceAccessIT); no rule here repeats it.
 */
class UserAccessDeclarationsTest {
  private static final long OWN = 7;
  private static final long OTHER = 8;
  private static final Principal USER = new Principal(Long.toString(OWN), Set.of(Principal.USER));
  private static final Principal ADMIN = new Principal("1", Set.of(Principal.ADMIN));

  /** The ownership rule of each owner_only RPC, applied by a caller to the user with the given id. */
  private static final Map<String, BiConsumer<Principal, Long>> OWNERSHIP_RULES = Map.of(
      "GetUser", UserAccessRules::checkGet,
      "UpdateUser", (caller, id) -> UserAccessRules.checkUpdate(caller, id, UserChanges.none().withName("n"), List::of),
      "SubscribeToUpdates", (caller, id) -> UserAccessRules.checkSubscribe(caller, List.of(id)));

  private final List<AccessDeclaration> declarations =
      MethodAccessTable.load().ofService("trellis.user.v1.UserService");

  @Test
  void exactlyTheRpcsDeclaredOwnerOnlyHaveAnOwnershipRule() {
    assertThat(declarations).filteredOn(AccessDeclaration::ownerOnly).extracting(AccessDeclaration::methodName)
        .containsExactlyInAnyOrderElementsOf(OWNERSHIP_RULES.keySet());
  }

  @Test
  void aUserActsOnlyOnItselfAndAnAdminOnAnyoneWhereTheContractSaysOwnerOnly() {
    List<AccessDeclaration> ownerOnly = declarations.stream().filter(AccessDeclaration::ownerOnly).toList();
    assertThat(ownerOnly).isNotEmpty();
    for (AccessDeclaration d : ownerOnly) {
      BiConsumer<Principal, Long> rule = OWNERSHIP_RULES.get(d.methodName());
      assertThat(rule).as(d.methodName() + "'s ownership rule").isNotNull();
      assertThat(allows(rule, USER, OWN)).as(d.methodName() + " by a user on itself").isTrue();
      assertThat(allows(rule, USER, OTHER)).as(d.methodName() + " by a user on another user").isFalse();
      assertThat(allows(rule, ADMIN, OTHER)).as(d.methodName() + " by an admin on another user").isTrue();
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
