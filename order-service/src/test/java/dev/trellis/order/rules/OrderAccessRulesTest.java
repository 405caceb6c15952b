package dev.trellis.order.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.order.store.OrderStatus;
import dev.trellis.order.store.ShippingAddress;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.NotFoundException;
import dev.trellis.platform.error.PermissionDeniedException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrderAccessRulesTest {
  private static final Principal ADA = new Principal("7", Set.of(Principal.USER));
  private static final Principal ADMIN = new Principal("1", Set.of(Principal.ADMIN));
  private static final Principal SERVICE = new Principal("reporting", Set.of(Principal.SERVICE));
  private static final StoredOrder ADAS = order(7);

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
    assertThat(OrderAccessRules.checkOrder(ADA, 100, Optional.of(ADAS))).isEqualTo(ADAS);
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(ADA, 101, Optional.of(order(8))))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(ADA, 102, Optional.empty()))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void anAdminSeesEveryOrderAndLearnsWhichDoNotExist() {
    assertThat(OrderAccessRules.checkOrder(ADMIN, 100, Optional.of(ADAS))).isEqualTo(ADAS);
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(ADMIN, 102, Optional.empty()))
        .isInstanceOf(NotFoundException.class).hasMessage("orders/102 not found");
  }

  @Test
  void servicesMayReadStockButNotTouchOrdersAndOnlyAdminsSetStock() {
    assertThatThrownBy(() -> OrderAccessRules.checkCreate(SERVICE, 7)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> OrderAccessRules.checkOrder(SERVICE, 100, Optional.of(ADAS)))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatCode(() -> OrderAccessRules.checkGetStock(SERVICE)).doesNotThrowAnyException();
    assertThatCode(() -> OrderAccessRules.checkSetStock(ADMIN)).doesNotThrowAnyException();
    assertThatThrownBy(() -> OrderAccessRules.checkSetStock(ADA)).isInstanceOf(PermissionDeniedException.class);
  }

  private static StoredOrder order(long userId) {
    return new StoredOrder(100, userId, OrderStatus.CONFIRMED, "", List.of(), 0, "USD",
        new ShippingAddress("Ada", "1 Way", "", "Berlin", "", "DE"), "", "", 1, Instant.EPOCH, Instant.EPOCH);
  }
}
