package dev.trellis.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.proto.TrellisDescriptors;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EdgeSettingsTest {
  private static final String USERS = "trellis.user.v1.UserService=127.0.0.1:50051";

  private static EdgeSettings read(Map<String, String> env, String... flags) {
    return EdgeSettings.fromSettings(Settings.of(env, flags));
  }

  @Test
  void defaults() {
    EdgeSettings settings = read(Map.of(EdgeSettings.UPSTREAMS, USERS));
    assertThat(settings.port()).isEqualTo(8080);
    assertThat(settings.upstreams()).isEqualTo(Map.of("trellis.user.v1.UserService", "127.0.0.1:50051"));
    assertThat(settings.descriptors()).isEqualTo(Optional.empty());
    assertThat(settings.maxBodyBytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(settings.deadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.streamDeadline()).isEqualTo(Duration.ofHours(1));
    assertThat(settings.maxConnections()).isEqualTo(10_000);
    assertThat(settings.maxConcurrentStreams()).isEqualTo(100);
    assertThat(settings.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(settings.corsOrigins()).isEmpty();
    assertThat(settings.trustedProxies()).isEmpty();
    assertThat(settings.shutdownGrace()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void flagsAndVariables() {
    EdgeSettings settings = read(Map.of(EdgeSettings.UPSTREAMS,
        USERS + ", trellis.order.v1.OrderService = dns:///order-service:50052"),
        "--edge-port=9090", "--edge-cors-origins=https://a.example,https://b.example", "--edge-deadline=5s");
    assertThat(settings.port()).isEqualTo(9090);
    assertThat(settings.upstreams()).containsEntry("trellis.order.v1.OrderService", "dns:///order-service:50052");
    assertThat(settings.corsOrigins()).containsExactly("https://a.example", "https://b.example");
    assertThat(settings.deadline()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aWrongValueNamesTheVariable() {
    assertThatThrownBy(() -> read(Map.of())).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_EDGE_UPSTREAMS is required");
    assertThatThrownBy(() -> read(Map.of(EdgeSettings.UPSTREAMS, "127.0.0.1:50051")))
        .hasMessageStartingWith("TRELLIS_EDGE_UPSTREAMS takes service=host:port pairs");
    assertThatThrownBy(() -> read(Map.of(EdgeSettings.UPSTREAMS, USERS + "," + USERS)))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> read(Map.of(EdgeSettings.UPSTREAMS, USERS, EdgeSettings.DEADLINE, "0s")))
        .hasMessageStartingWith("TRELLIS_EDGE_DEADLINE must be more than zero");
    assertThatThrownBy(() -> read(Map.of(EdgeSettings.UPSTREAMS, USERS, EdgeSettings.PORT, "http")))
        .hasMessageStartingWith("TRELLIS_EDGE_PORT must be a whole number");
    assertThatThrownBy(() -> read(Map.of(EdgeSettings.UPSTREAMS, USERS, "TRELLIS_TRUSTED_PROXIES", "nope")))
        .hasMessageContaining("TRELLIS_TRUSTED_PROXIES");
  }

  @Test
  void settingsBuiltInCodeAreHeldToTheSameRules() {
    EdgeSettings settings = read(Map.of(EdgeSettings.UPSTREAMS, USERS));
    assertThatThrownBy(() -> settings.withPort(70_000)).isInstanceOf(ConfigException.class)
        .hasMessage("TRELLIS_EDGE_PORT must be between 0 and 65535, got 70000");
    assertThatThrownBy(() -> read(Map.of(EdgeSettings.UPSTREAMS, USERS, EdgeSettings.MAX_CONCURRENT_STREAMS, "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_EDGE_MAX_CONCURRENT_STREAMS must be between 1 and 10000");
  }

  @Test
  void anUpstreamForAServiceTheContractsLackStopsTheStart() {
    assertThatThrownBy(() -> EdgeApi.of(TrellisDescriptors.load(), java.util.List.of("trellis.user.v1.UserServce")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TRELLIS_EDGE_UPSTREAMS names trellis.user.v1.UserServce, which the descriptors lack");
  }

  @Test
  void aDescriptorFileThatIsNotASetStopsTheStart() throws Exception {
    java.nio.file.Path junk = java.nio.file.Files.createTempFile("not-a-set", ".binpb");
    java.nio.file.Files.writeString(junk, "hello");
    EdgeSettings settings = read(Map.of(EdgeSettings.UPSTREAMS, USERS, EdgeSettings.DESCRIPTORS, junk.toString()));
    assertThatThrownBy(() -> EdgeMain.descriptors(settings)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_EDGE_DESCRIPTORS must name a readable FileDescriptorSet");
  }
}
