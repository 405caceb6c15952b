package dev.trellis.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UserServiceSettingsTest {
  @Test
  void defaults() {
    UserServiceSettings s = UserServiceSettings.fromSettings(Settings.of(Map.of()));
    assertThat(s).isEqualTo(new UserServiceSettings(Duration.ofMillis(100), 1000, Duration.ofHours(24),
        new dev.trellis.platform.ratelimit.RateLimit(5, 5, Duration.ofHours(1))));
  }

  @Test
  void aRetentionShorterThanAMinuteIsRefused() {
    assertThatThrownBy(() -> UserServiceSettings.fromSettings(
        Settings.of(Map.of("TRELLIS_USER_EVENT_RETENTION", "0s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("TRELLIS_USER_EVENT_RETENTION must be at least 1m, got 0s");
  }

  @Test
  void aZeroPollIntervalIsRefused() {
    assertThatThrownBy(() -> UserServiceSettings.fromSettings(
        Settings.of(Map.of("TRELLIS_USER_UPDATES_POLL_INTERVAL", "0ms"))))
        .hasMessage("TRELLIS_USER_UPDATES_POLL_INTERVAL must be more than zero");
  }
}
