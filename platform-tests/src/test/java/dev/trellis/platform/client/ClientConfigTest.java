package dev.trellis.platform.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientConfigTest {
  @Test
  void defaultsAreTheSeedNumbers() {
    ClientConfig config = ClientConfig.defaults();

    assertThat(config.retries()).isTrue();
    assertThat(config.maxAttempts()).isEqualTo(3);
    assertThat(config.backoffMin()).isEqualTo(Duration.ofMillis(100));
    assertThat(config.backoffMax()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.breakerFailures()).isEqualTo(5);
    assertThat(config.breakerDelay()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void oneVariableTurnsRetriesOff() {
    assertThat(ClientConfig.fromSettings(Settings.of(Map.of("TRELLIS_CLIENT_RETRIES", "false"))).retries()).isFalse();
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> ClientConfig.fromSettings(Settings.of(Map.of("TRELLIS_CLIENT_MAX_ATTEMPTS", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("TRELLIS_CLIENT_MAX_ATTEMPTS must be between 1 and 10, got 0");
    assertThatThrownBy(() -> ClientConfig.fromSettings(Settings.of(Map.of("TRELLIS_CLIENT_BACKOFF_MIN", "2s"))))
        .hasMessage("TRELLIS_CLIENT_BACKOFF_MIN must be positive and at most TRELLIS_CLIENT_BACKOFF_MAX");
    assertThatThrownBy(() -> ClientConfig.fromSettings(Settings.of(Map.of("TRELLIS_CLIENT_TIMEOUT", "0s"))))
        .hasMessage("TRELLIS_CLIENT_TIMEOUT must be more than zero");
  }
}
