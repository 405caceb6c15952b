package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.server.TrellisEdge;
import dev.trellis.platform.server.TrellisService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The banner's commands carry exactly the flags a mesh off the defaults needs. */
class BannerTest {
  private final List<TrellisService> services = TrellisService.all();
  private final List<TrellisEdge> edges = TrellisEdge.all();

  private String banner(String... flags) {
    LocalMeshSettings mesh = LocalMeshSettings.fromSettings(Settings.of(Map.of(), flags), services, edges);
    return Banner.text("Trellis is up", Duration.ofSeconds(3), mesh, services, edges, 4, "1, 2, 3, 4", "T0KEN",
        Duration.ofHours(12));
  }

  @Test
  void onTheDefaultsTheCommandsNeedNoFlags() {
    String banner = banner();

    assertThat(banner).contains("  user-service   127.0.0.1:50051   gRPC with reflection and grpc.health.v1")
        .contains("./trellis call user-service/CreateUser '{\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\"}'")
        .contains("./trellis call user-service   # lists its methods")
        .contains("export TOKEN=T0KEN")
        .contains("--role service as order-service unless --sub NAME")
        .contains("./trellis call --role service user-service/GetUser '{\"id\":\"<id from above>\"}'   # as "
            + "order-service, which may read users")
        .endsWith(Banner.LAST_LINE + "\n")
        .doesNotContain("npx", "grpcurl -plaintext", "--target", "--state-dir");
  }

  @Test
  void anotherStateDirectoryAndPortAreInEveryCommand() {
    String banner = banner("--state-dir", "/tmp/elsewhere", "--user-port", "6001", "--order-port", "6002");

    assertThat(banner).contains("./trellis call --state-dir /tmp/elsewhere --target 127.0.0.1:6001"
        + " user-service/GetUser '{\"id\":\"<id from above>\"}'");
    assertThat(banner.lines().filter(l -> l.startsWith("  ./trellis call") && l.contains(" user-service")))
        .isNotEmpty()
        .allMatch(l -> l.contains("--state-dir /tmp/elsewhere --target 127.0.0.1:6001"));
    assertThat(banner.lines().filter(l -> l.startsWith("  ./trellis call") && l.matches(".* order-service[/ ].*")))
        .hasSize(4)
        .allMatch(l -> l.contains("--state-dir /tmp/elsewhere --target 127.0.0.1:6002"));
  }

  @Test
  void theEdgeIsListedWithRestLinesOnItsPort() {
    String banner = banner("--edge-port", "9191");

    assertThat(banner).contains("  edge-proxy     http://127.0.0.1:9191   REST (JSON, NDJSON streams) and gRPC-Web;"
            + " API at http://127.0.0.1:9191/openapi.json")
        .contains("  curl -s -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:9191/v1/users/<id from above>")
        .contains("  curl -sN -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:9191/v1/users?page_size=10'");
    assertThat(banner.indexOf("export TOKEN=")).as("the curl lines come after the token they use")
        .isLessThan(banner.indexOf("REST through edge-proxy"));
  }
}
