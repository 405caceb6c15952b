package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BucketMoveSettingsTest {
  @Test
  void theGraceIsThreePollsUnlessSet() {
    assertThat(BucketMoveSettings.fromSettings(Settings.of(Map.of())).sourceGrace()).isEqualTo(Duration.ofSeconds(6));
    assertThat(BucketMoveSettings.fromSettings(Settings.of(Map.of("TRELLIS_DIRECTORY_POLL", "500ms")))
        .sourceGrace()).isEqualTo(Duration.ofMillis(1500));
    assertThat(BucketMoveSettings.fromSettings(Settings.of(Map.of("TRELLIS_DIRECTORY_POLL", "1s",
        "TRELLIS_MOVE_SOURCE_GRACE", "10s"))).sourceGrace()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aGraceOfTwoPollsOrLessStopsTheStartNamingTheVariable() {
    assertThatThrownBy(() -> BucketMoveSettings.fromSettings(Settings.of(Map.of("TRELLIS_DIRECTORY_POLL", "2s",
        "TRELLIS_MOVE_SOURCE_GRACE", "4s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("TRELLIS_MOVE_SOURCE_GRACE must be more than twice TRELLIS_DIRECTORY_POLL (2s), got 4s");
  }

  @Test
  void forPollGivesThreePolls() {
    assertThat(BucketMoveSettings.forPoll(Duration.ofMillis(100)).sourceGrace()).isEqualTo(Duration.ofMillis(300));
  }
}
