package dev.trellis.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.server.TrellisEdge;
import dev.trellis.testing.ServiceExtension;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge as the local mesh starts it, by name through {@link TrellisEdge} (what {@code ./trellis up} does without
 * importing it): in front of the real user-service, healthy on its health path, gone once stopped.
 */
class EdgeProxyIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");

  private final HttpClient http = HttpClient.newHttpClient();

  private static TrellisEdge registered() {
    List<TrellisEdge> edges = TrellisEdge.all();
    assertThat(edges).hasSize(1);
    return edges.getFirst();
  }

  private HttpResponse<String> get(int port, String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theRegisteredEdgeServesTheUpstreamsItIsGivenUntilItStops() throws Exception {
    TrellisEdge edge = registered();
    assertThat(edge.name()).isEqualTo("edge-proxy");
    assertThat(edge.defaultPort()).isEqualTo(EdgeSettings.DEFAULT_PORT);

    TrellisEdge.Running running = edge.start(Settings.of(Map.of()), 0,
        Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(users)));
    int port = running.port();
    try {
      assertThat(get(port, TrellisEdge.HEALTH_PATH).statusCode()).isEqualTo(200);
      HttpResponse<String> missing = get(port, "/v1/users/12345",
          "Authorization", EdgeFixture.bearer(users.tokens().admin(1)));
      assertThat(missing.statusCode()).as("user-service's NOT_FOUND, through the edge").isEqualTo(404);
      assertThat(new ObjectMapper().readTree(missing.body()).get("code").asInt()).isEqualTo(5);
    } finally {
      running.stopGracefully();
    }
    assertThatThrownBy(() -> get(port, TrellisEdge.HEALTH_PATH)).isInstanceOf(ConnectException.class);
  }

  @Test
  void aWrongSettingStopsTheStartWithTheVariableNamed() {
    TrellisEdge edge = registered();

    assertThatThrownBy(() -> edge.start(Settings.of(Map.of(EdgeSettings.IDLE_TIMEOUT, "0s")), 0,
        Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(users))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_EDGE_IDLE_TIMEOUT");
    assertThatThrownBy(() -> edge.start(Settings.of(Map.of()), 0, Map.of("trellis.nope.v1.Nope", "127.0.0.1:1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("trellis.nope.v1.Nope, which the descriptors lack");
  }

  @Test
  void aTakenPortIsAnIoError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      assertThatThrownBy(() -> registered().start(Settings.of(Map.of()), taken.getLocalPort(),
          Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(users))))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cannot listen on port " + taken.getLocalPort());
    }
  }
}
