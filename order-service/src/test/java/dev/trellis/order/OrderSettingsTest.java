package dev.trellis.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.order.saga.SagaSettings;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.server.TrellisService;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrderSettingsTest {
  @Test
  void defaults() {
    SagaSettings saga = SagaSettings.fromSettings(Settings.of(Map.of()));
    OrderServiceSettings own = OrderServiceSettings.fromSettings(Settings.of(Map.of()));

    assertThat(saga).isEqualTo(new SagaSettings(Duration.ofSeconds(30), Duration.ofSeconds(60),
        Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10)));
    assertThat(own.userServiceTarget()).isEqualTo("dns:///user-service:50051");
    assertThat(OrderServiceSettings.USER_SERVICE).isEqualTo(TrellisService.targetVariable("user-service"));
    assertThat(own.demoData()).isFalse();
    assertThat(own.idempotencyRetention()).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void aLeaseShorterThanAStepAndItsBackoffIsRefusedNamingTheVariable() {
    assertThatThrownBy(() -> SagaSettings.fromSettings(Settings.of(Map.of("TRELLIS_ORDER_STEP_TIMEOUT", "50s"))))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("TRELLIS_ORDER_SAGA_LEASE must be longer");
    assertThatThrownBy(() -> SagaSettings.fromSettings(Settings.of(Map.of("TRELLIS_ORDER_AWAIT_TIMEOUT", "0s"))))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("TRELLIS_ORDER_AWAIT_TIMEOUT");
    assertThatThrownBy(() -> OrderServiceSettings.fromSettings(
        Settings.of(Map.of("TRELLIS_ORDER_IDEMPOTENCY_RETENTION", "30s"))))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("TRELLIS_ORDER_IDEMPOTENCY_RETENTION");
  }
}
