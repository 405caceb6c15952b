package dev.trellis.user.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class UserAccessRulesTest {
  private static final Principal ADMIN = new Principal("1", Set.of("admin"));
  private static final Principal USER_7 = new Principal("7", Set.of("user"));
  private static final Principal ORDER_SERVICE = new Principal("order-service", Set.of("service"));
  private static final UserChanges RENAME = UserChanges.none().withName("Renamed");
  private static final UserChanges MAKE_ADMIN = UserChanges.none().withRoles(List.of("admin"));
  /** The current roles, for decisions that must not need them. */
  private static final Supplier<List<String>> NEVER_READ = () -> {
    throw new AssertionError("the decision read the user's roles, which it does not need");
  };

  @Test
  void aUserMayRepeatItsOwnRolesAndTheyAreReadOnce() {
    AtomicInteger reads = new AtomicInteger();
    UserChanges replacement = UserChanges.none().withName("Whole again").withRoles(List.of("user"));

    UserChanges allowed = UserAccessRules.checkUpdate(USER_7, 7, replacement, () -> {
      reads.incrementAndGet();
      return List.of("user");
    });

    assertThat(allowed).isEqualTo(UserChanges.none().withName("Whole again"));
    assertThat(reads).hasValue(1);
  }

  @Test
  void anAdminsChangesAreAppliedAsSent() {
    assertThat(UserAccessRules.checkUpdate(ADMIN, 99, MAKE_ADMIN, NEVER_READ)).isEqualTo(MAKE_ADMIN);
  }

  @Test
  void userReadsAndUpdatesOnlyItself() {
    assertThatCode(() -> UserAccessRules.checkGet(USER_7, 7)).doesNotThrowAnyException();
    assertThatCode(() -> UserAccessRules.checkUpdate(USER_7, 7, RENAME, NEVER_READ)).doesNotThrowAnyException();
    assertThatThrownBy(() -> UserAccessRules.checkGet(USER_7, 8)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkUpdate(USER_7, 8, RENAME, NEVER_READ))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void userCannotRaiseItsOwnRoles() {
    assertThatThrownBy(() -> UserAccessRules.checkUpdate(USER_7, 7, MAKE_ADMIN, () -> List.of("user")))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessage("the caller may not change roles");
  }

  @Test
  void adminActsOnEveryUser() {
    assertThatCode(() -> {
      UserAccessRules.checkGet(ADMIN, 99);
      UserAccessRules.checkUpdate(ADMIN, 99, MAKE_ADMIN, NEVER_READ);
      UserAccessRules.checkSubscribe(ADMIN, List.of());
      UserAccessRules.checkSubscribe(ADMIN, List.of(5L, 6L));
    }).doesNotThrowAnyException();
  }

  @Test
  void ownershipDoesNotBindAnAdmittedServiceReadingAUserButItChangesNobody() {
    assertThatCode(() -> UserAccessRules.checkGet(ORDER_SERVICE, 99)).doesNotThrowAnyException();
    assertThatThrownBy(() -> UserAccessRules.checkUpdate(ORDER_SERVICE, 99, RENAME, NEVER_READ))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void userSubscribesOnlyToItself() {
    assertThatCode(() -> UserAccessRules.checkSubscribe(USER_7, List.of(7L))).doesNotThrowAnyException();
    assertThatThrownBy(() -> UserAccessRules.checkSubscribe(USER_7, List.of(7L, 8L)))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkSubscribe(USER_7, List.of()))
        .hasMessage("the caller may not follow every user");
  }
}
