package dev.trellis.user.rules;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UserAccessRulesTest {
  private static final Principal ADMIN = new Principal("1", Set.of("admin"));
  private static final Principal USER_7 = new Principal("7", Set.of("user"));
  private static final Principal ORDER_SERVICE = new Principal("order-service", Set.of("service"));

  @Test
  void userReadsAndUpdatesOnlyItself() {
    assertThatCode(() -> UserAccessRules.checkGet(USER_7, 7)).doesNotThrowAnyException();
    assertThatCode(() -> UserAccessRules.checkUpdate(USER_7, 7, false)).doesNotThrowAnyException();
    assertThatThrownBy(() -> UserAccessRules.checkGet(USER_7, 8)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkUpdate(USER_7, 8, false))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void userCannotRaiseItsOwnRoles() {
    assertThatThrownBy(() -> UserAccessRules.checkUpdate(USER_7, 7, true))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessage("the caller may not change roles");
  }

  @Test
  void adminMayDoEverything() {
    assertThatCode(() -> {
      UserAccessRules.checkGet(ADMIN, 99);
      UserAccessRules.checkUpdate(ADMIN, 99, true);
      UserAccessRules.checkCreate(ADMIN);
      UserAccessRules.checkDelete(ADMIN);
      UserAccessRules.checkList(ADMIN);
      UserAccessRules.checkImport(ADMIN);
      UserAccessRules.checkSubscribe(ADMIN, List.of());
      UserAccessRules.checkSubscribe(ADMIN, List.of(5L, 6L));
    }).doesNotThrowAnyException();
  }

  @Test
  void serviceMayOnlyRead() {
    assertThatCode(() -> UserAccessRules.checkGet(ORDER_SERVICE, 99)).doesNotThrowAnyException();
    assertThatThrownBy(() -> UserAccessRules.checkUpdate(ORDER_SERVICE, 99, false))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkCreate(ORDER_SERVICE)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkList(ORDER_SERVICE)).isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void adminOnlyActionsDenyUsers() {
    assertThatThrownBy(() -> UserAccessRules.checkCreate(USER_7)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkDelete(USER_7)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkList(USER_7)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> UserAccessRules.checkImport(USER_7)).isInstanceOf(PermissionDeniedException.class);
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
