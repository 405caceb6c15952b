package dev.trellis.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  enum Mode { LOCAL, CLUSTER }

  @Test
  void flagsOverrideEnvironment() {
    Settings s = Settings.of(Map.of("TRELLIS_GRPC_PORT", "1000"), "--grpc-port=2000");
    assertThat(s.integer("TRELLIS_GRPC_PORT", 50051, 1, 65535)).isEqualTo(2000);
  }

  @Test
  void flagValueMayFollowAsNextArgumentAndBareFlagIsTrue() {
    Settings s = Settings.of(Map.of(), "--state-dir", "/tmp/x", "--dev-mode");
    assertThat(s.string("TRELLIS_STATE_DIR", "")).isEqualTo("/tmp/x");
    assertThat(s.bool("TRELLIS_DEV_MODE", false)).isTrue();
  }

  @Test
  void defaultsApplyWhenUnsetOrBlank() {
    Settings s = Settings.of(Map.of("TRELLIS_NAME", " "));
    assertThat(s.string("TRELLIS_NAME", "dflt")).isEqualTo("dflt");
    assertThat(s.duration("TRELLIS_GRACE", Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void wrongNumberNamesTheVariable() {
    Settings s = Settings.of(Map.of("TRELLIS_GRPC_PORT", "http"));
    assertThatThrownBy(() -> s.integer("TRELLIS_GRPC_PORT", 1, 1, 65535))
        .isInstanceOf(ConfigException.class)
        .hasMessage("TRELLIS_GRPC_PORT must be a whole number, got 'http'");
  }

  @Test
  void outOfRangeNamesTheBounds() {
    Settings s = Settings.of(Map.of("TRELLIS_GRPC_PORT", "70000"));
    assertThatThrownBy(() -> s.integer("TRELLIS_GRPC_PORT", 1, 1, 65535))
        .hasMessage("TRELLIS_GRPC_PORT must be between 1 and 65535, got 70000");
  }

  @Test
  void durationsInShortAndIsoForm() {
    Settings s = Settings.of(Map.of("A", "250ms", "B", "10s", "C", "5m", "D", "1h", "E", "PT2S"));
    assertThat(s.duration("A", null)).isEqualTo(Duration.ofMillis(250));
    assertThat(s.duration("B", null)).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.duration("C", null)).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.duration("D", null)).isEqualTo(Duration.ofHours(1));
    assertThat(s.duration("E", null)).isEqualTo(Duration.ofSeconds(2));
    assertThatThrownBy(() -> Settings.of(Map.of("F", "soon")).duration("F", null))
        .hasMessageContaining("F must be a duration");
  }

  @Test
  void boolsListsAndChoices() {
    Settings s = Settings.of(Map.of("A", "yes", "B", "x, y,,z", "C", "cluster", "D", "maybe", "E", "moon"));
    assertThat(s.bool("A", false)).isTrue();
    assertThat(s.list("B")).isEqualTo(List.of("x", "y", "z"));
    assertThat(s.choice("C", Mode.class, Mode.LOCAL)).isEqualTo(Mode.CLUSTER);
    assertThatThrownBy(() -> s.bool("D", false)).hasMessage("D must be true or false, got 'maybe'");
    assertThatThrownBy(() -> s.choice("E", Mode.class, Mode.LOCAL))
        .hasMessage("E must be one of [local, cluster], got 'moon'");
  }

  @Test
  void requiredSettingMustBeSet() {
    assertThatThrownBy(() -> Settings.of(Map.of()).required("TRELLIS_JWT_ISSUER"))
        .hasMessage("TRELLIS_JWT_ISSUER is required but not set");
  }

  @Test
  void unknownFlagIsRejected() {
    Settings s = Settings.of(Map.of(), "--grpc-prot=1");
    s.integer("TRELLIS_GRPC_PORT", 1, 1, 65535);
    assertThatThrownBy(s::rejectUnknownFlags).hasMessage("unknown flag --grpc-prot");
  }

  @Test
  void positionalArgumentIsRejected() {
    assertThatThrownBy(() -> Settings.of(Map.of(), "serve")).hasMessageContaining("unexpected argument 'serve'");
  }
}
