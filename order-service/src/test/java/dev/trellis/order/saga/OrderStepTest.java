package dev.trellis.order.saga;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OrderStepTest {
  @Test
  void stepsRunInTheSeedsOrder() {
    assertThat(List.of(OrderStep.values())).extracting(OrderStep::stepName).containsExactly("verify_user",
        "reserve_inventory", "process_payment", "create_shipment", "send_notification");
    assertThat(OrderStep.SEND_NOTIFICATION.next()).isEmpty();
    assertThat(OrderStep.VERIFY_USER.next()).hasValue(OrderStep.RESERVE_INVENTORY);
  }

  @Test
  void compensationUndoesTheCompletedStepsLatestFirstAndSkipsVerifyUser() {
    assertThat(OrderStep.compensationPlan(List.of("verify_user", "reserve_inventory", "process_payment"),
        Optional.empty())).containsExactly("refund_payment", "release_inventory");
  }

  @Test
  void aStepThatMayHaveDonePartOfItsWorkIsUndoneToo() {
    assertThat(OrderStep.compensationPlan(List.of("verify_user", "reserve_inventory"),
        Optional.of(OrderStep.PROCESS_PAYMENT))).containsExactly("refund_payment", "release_inventory");
    assertThat(OrderStep.compensationPlan(List.of("verify_user"), Optional.of(OrderStep.RESERVE_INVENTORY)))
        .containsExactly("release_inventory");
  }

  @Test
  void cancellingACompletedSagaUndoesEveryStep() {
    assertThat(OrderStep.cancellationPlan(List.of("verify_user", "reserve_inventory", "process_payment",
        "create_shipment", "send_notification"))).containsExactly("send_cancellation", "cancel_shipment",
        "refund_payment", "release_inventory");
    assertThat(OrderStep.compensatedBy("cancel_shipment")).isEqualTo(OrderStep.CREATE_SHIPMENT);
  }
}
