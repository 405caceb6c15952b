package dev.trellis.order.rules;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.NotFoundException;
import dev.trellis.platform.error.PermissionDeniedException;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrderAccessRulesTest {
  private static final Principal ADA = new Principal("7", Set.of(Principal.USER));
  private static final Principal ADMIN = new Principal("1", Set.of(Principal.ADMIN));
  private static final OptionalLong ADAS = OptionalLong.of(7);

  @Test
  void aUserPlacesAndListsOnlyItsOwnOrders() {
    assertThatCode(() -> OrderAccessRules.checkCreate(ADA, 7)).doesNotThrowAnyException();
    assertThatCode(() -> OrderAccessRules.checkList(ADA, 7)).doesNotThrowAnyException();
    assertThatThrownBy(() -> OrderAccessRules.checkCreate(ADA, 8)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> OrderAccessRules.checkList(ADA, 8)).isInstanceOf(PermissionDeniedException.class);
    assertThatCode(() -> OrderAccessRules.checkCreate(ADMIN, 8)).doesNotThrowAnyException();
  }

  @Test
  void aUserSeesItsOwnOrderAndNothingOfOthersWhetherOrNotTheyExist() {
    assertThatCode(() -> OrderAccessRules.checkOrder(ADA, 100, ADAS)).doesNotThrowAnyException();
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(ADA, 101, OptionalLong.of(8)))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(ADA, 102, OptionalLong.empty()))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void anAdminSeesEveryOrderAndLearnsWhichDoNotExist() {
    assertThatCode(() -> OrderAccessRules.checkOrder(ADMIN, 100, ADAS)).doesNotThrowAnyException();
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(ADMIN, 102, OptionalLong.empty()))
        .isInstanceOf(NotFoundException.class).hasMessage("orders/102 not found");
  }
}
