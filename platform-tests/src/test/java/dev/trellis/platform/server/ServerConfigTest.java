package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  @Test
  void defaults() {
    ServerConfig config = ServerConfig.fromSettings(Settings.of(Map.of()));

    assertThat(config.port()).isEqualTo(50051);
    assertThat(config.maxInboundMessageBytes()).isEqualTo(50 * 1024 * 1024);
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void flagsAndVariables() {
    ServerConfig config = ServerConfig.fromSettings(Settings.of(Map.of("TRELLIS_SHUTDOWN_GRACE", "45s"),
        "--grpc-port=6000", "--grpc-max-message-bytes=1048576"));

    assertThat(config).isEqualTo(new ServerConfig(6000, 1_048_576, Duration.ofSeconds(45)));
  }

  @Test
  void wrongValuesNameTheVariable() {
    assertThatThrownBy(() -> ServerConfig.fromSettings(Settings.of(Map.of("TRELLIS_GRPC_PORT", "70000"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("TRELLIS_GRPC_PORT must be between 0 and 65535, got 70000");
    assertThatThrownBy(() -> ServerConfig.fromSettings(Settings.of(Map.of("TRELLIS_SHUTDOWN_GRACE", "soon"))))
        .hasMessageStartingWith("TRELLIS_SHUTDOWN_GRACE must be a duration");
    assertThatThrownBy(() -> ServerConfig.fromSettings(Settings.of(Map.of("TRELLIS_GRPC_MAX_MESSAGE_BYTES", "12"))))
        .hasMessageStartingWith("TRELLIS_GRPC_MAX_MESSAGE_BYTES must be between 1024");
  }
}
