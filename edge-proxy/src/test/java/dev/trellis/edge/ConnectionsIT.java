package dev.trellis.edge;

import static dev.trellis.edge.TranscodingIT.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import okhttp3.Protocol;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connections: HTTP/1.1 keep-alive, h2c by prior knowledge and by upgrade, the health endpoint, the idle
 * timeout, the connection limit, and graceful shutdown.
 */
class ConnectionsIT {
  private static LibraryBackend backend;

  @BeforeAll
  static void start() {
    backend = new LibraryBackend();
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  private static EdgeFixture edge(Map<String, String> extra) {
    return EdgeFixture.start(Map.of("trellis.edgetest.v1.LibraryService", backend.target()), extra);
  }

  @Test
  void http11KeepAliveHttp2PriorKnowledgeAndH2cUpgradeOnOnePort() throws Exception {
    try (EdgeFixture edge = edge(Map.of())) {
      for (int i = 0; i < 3; i++) {
        try (Response r = edge.get("/v1/shelves/s/books/" + i)) {
          assertThat(r.protocol()).isEqualTo(Protocol.HTTP_1_1);
          assertThat(r.code()).isEqualTo(200);
        }
      }
      assertThat(edge.http1.connectionPool().connectionCount()).as("one kept-alive connection").isEqualTo(1);
      try (Response r = edge.http2.newCall(edge.request("/v1/shelves/s/books/b").build()).execute()) {
        assertThat(r.protocol()).isEqualTo(Protocol.H2_PRIOR_KNOWLEDGE);
        assertThat(JSON.readTree(r.body().string()).get("name").asText()).isEqualTo("shelves/s/books/b");
      }
      HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
      HttpResponse<String> upgraded = jdk.send(HttpRequest.newBuilder(URI.create(edge.url("/v1/shelves/s/books/u")))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(upgraded.version()).as("Upgrade: h2c").isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(upgraded.statusCode()).isEqualTo(200);
      HttpResponse<String> second = jdk.send(HttpRequest.newBuilder(URI.create(edge.url("/v1/shelves/s/books/v")))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(second.body()).contains("shelves/s/books/v");
      jdk.close();
    }
  }

  @Test
  void healthSaysServing() throws Exception {
    try (EdgeFixture edge = edge(Map.of()); Response r = edge.get("/healthz")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("{\"status\":\"SERVING\"}");
    }
  }

  @Test
  void anIdleConnectionIsClosed() throws Exception {
    try (EdgeFixture edge = edge(Map.of(EdgeSettings.IDLE_TIMEOUT, "300ms"));
        Socket socket = new Socket("127.0.0.1", edge.server.port())) {
      socket.setSoTimeout(10_000);
      assertThat(socket.getInputStream().read()).as("closed by the edge, without a byte").isEqualTo(-1);
    }
  }

  @Test
  void connectionsBeyondTheLimitAreClosed() throws Exception {
    try (EdgeFixture edge = edge(Map.of(EdgeSettings.MAX_CONNECTIONS, "1"));
        Socket first = new Socket("127.0.0.1", edge.server.port());
        Socket second = new Socket()) {
      first.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(new BufferedReader(new InputStreamReader(first.getInputStream())).readLine())
          .isEqualTo("HTTP/1.1 200 OK");
      second.connect(new InetSocketAddress("127.0.0.1", edge.server.port()));
      second.setSoTimeout(10_000);
      assertThat(second.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void gracefulShutdownFinishesShortRequestsAndEndsStreamsWithUnavailable() throws Exception {
    EdgeFixture edge = edge(Map.of("TRELLIS_SHUTDOWN_GRACE", "5s"));
    Socket idle = new Socket("127.0.0.1", edge.server.port());
    // A stream with no end, read slowly: it outlives the grace period. Its messages are 1 KiB: the buffers between
    // the service and the stalled reader fill with a few thousand of them, not with a hundred thousand tiny ones
    // whose transcoding would hold up the event loop that the request below answers on (on a busy machine, past
    // the grace period).
    Response stream = edge.get("/v1/count?payloadBytes=1024");
    BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body().byteStream()));
    assertThat(lines.readLine()).startsWith("{\"n\":\"1\"");
    // A request in flight that ends within the grace period.
    long sleeps = backend.sleepsStarted.get();
    CompletableFuture<Integer> slow = CompletableFuture.supplyAsync(() -> {
      try (Response r = edge.get("/v1/sleep?millis=200")) {
        return r.code();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().until(() -> backend.sleepsStarted.get() > sleeps);
    Thread stopper = new Thread(edge::close);
    stopper.start();
    assertThat(slow.get()).as("a request in flight finishes").isEqualTo(200);
    InputStream idleIn = idle.getInputStream();
    idle.setSoTimeout(10_000);
    assertThat(idleIn.read()).as("an idle connection is closed at once").isEqualTo(-1);
    // The stream ends after the grace period with an UNAVAILABLE line, not a reset.
    List<String> rest = new ArrayList<>();
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      rest.add(line);
    }
    JsonNode last = JSON.readTree(rest.get(rest.size() - 1));
    assertThat(last.get("error").get("code").asInt()).isEqualTo(14);
    assertThat(last.get("error").get("message").asText()).isEqualTo("the edge is shutting down");
    stopper.join(Duration.ofSeconds(20).toMillis());
    assertThat(stopper.isAlive()).isFalse();
    stream.close();
    idle.close();
  }
}
