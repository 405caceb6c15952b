package dev.trellis.edge;

import static dev.trellis.edge.TranscodingIT.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.testing.OtlpReceiver;
import dev.trellis.testing.ServiceExtension;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge traced and measured with the platform's telemetry (OTLP to a stand-in collector): its server span is the
 * root of the upstream call's client span, which is the parent of the service's server span, all in the caller's
 * trace; the deprecated-call counter is exported. And the services' per-address limit keys on the address the edge
 * forwards.
 */
class EdgeTelemetryIT {
  @RegisterExtension
  @Order(1)
  static final OtlpReceiver collector = OtlpReceiver.start();
  @RegisterExtension
  @Order(2)
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .telemetry(() -> telemetry("user-service"));
  /**
   * Untraced, so that its calls leave no spans: trusts the edge (127.0.0.1) and allows each client address 2 calls,
   * then 1 a second.
   */
  @RegisterExtension
  @Order(3)
  static final ServiceExtension limited = ServiceExtension.of("user-service")
      .setting("TRELLIS_TRUSTED_PROXIES", "127.0.0.1/32")
      .setting("TRELLIS_RATE_LIMIT_PEER", "1/2");
  private static Telemetry edgeTelemetry;
  private static LibraryBackend library;
  private static EdgeFixture edge;

  private static Telemetry telemetry(String name) {
    return Telemetry.configure(name, Map.of(
        "otel.sdk.disabled", "false",
        "otel.exporter.otlp.protocol", "grpc",
        "otel.exporter.otlp.endpoint", collector.endpoint(),
        "otel.bsp.schedule.delay", "50",
        "otel.metric.export.interval", "200"));
  }

  @BeforeAll
  static void start() {
    edgeTelemetry = telemetry("edge-proxy");
    library = new LibraryBackend();
    edge = EdgeFixture.start(Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(users),
        LibraryEdge.SERVICE, library.target()), Map.of(), edgeTelemetry);
  }

  @AfterAll
  static void stop() {
    edge.close();
    library.close();
    edgeTelemetry.close();
  }

  private static String admin() {
    return EdgeFixture.bearer(users.tokens().admin(1));
  }

  @Test
  void theEdgeSpanIsTheRootOfTheServiceSpanInTheCallersTrace() throws Exception {
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    String callerSpan = "00f067aa0ba902b7";
    try (Response r = edge.get("/v1/users/12345", "Authorization", admin(),
        "traceparent", "00-" + trace + "-" + callerSpan + "-01")) {
      assertThat(r.code()).isEqualTo(404);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> serverSpanOf("trellis.user.v1.UserService/GetUser") != null
        && edgeSpan("GET /v1/users/{id}") != null);
    Span edgeSpan = edgeSpan("GET /v1/users/{id}");
    Span service = serverSpanOf("trellis.user.v1.UserService/GetUser");
    assertThat(hex(edgeSpan.getTraceId())).as("the caller's trace").isEqualTo(trace);
    assertThat(hex(edgeSpan.getParentSpanId())).isEqualTo(callerSpan);
    assertThat(service.getTraceId()).isEqualTo(edgeSpan.getTraceId());
    Span client = collector.spans().stream().filter(s -> s.getSpanId().equals(service.getParentSpanId()))
        .findFirst().orElseThrow();
    assertThat(client.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
    assertThat(client.getParentSpanId()).as("the upstream call is a child of the edge's span")
        .isEqualTo(edgeSpan.getSpanId());
    assertThat(edgeSpan.getAttributesList().stream().anyMatch(a -> a.getKey().equals("http.response.status_code")
        && a.getValue().getIntValue() == 404)).isTrue();
  }

  @Test
  void callsToDeprecatedApiAreCounted() throws Exception {
    try (Response r = edge.get("/v1/old/shelves/s/books/b")) {
      assertThat(r.code()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(20))
        .until(() -> collector.metricNames().contains("trellis.edge.deprecated.calls"));
  }

  @Test
  void thePerAddressLimitOfTheServiceKeysOnTheForwardedAddress() throws Exception {
    String limitedAdmin = EdgeFixture.bearer(limited.tokens().admin(1));
    try (EdgeFixture plain = EdgeFixture.start(Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(limited)),
            Map.of());
        EdgeFixture behindProxy = EdgeFixture.start(Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(limited)),
            Map.of("TRELLIS_TRUSTED_PROXIES", "127.0.0.1/32"))) {
      // An edge that trusts no proxy forwards the peer (127.0.0.1), whatever x-forwarded-for the client invents.
      int limitedAt = -1;
      for (int i = 0; i < 5 && limitedAt < 0; i++) {
        try (Response r = plain.get("/v1/users/1", "Authorization", limitedAdmin,
            "X-Forwarded-For", "198.51.100." + i)) {
          if (r.code() == 429) {
            limitedAt = i;
            assertThat(r.header("retry-after")).as("Retry-After from the service's RetryInfo").isNotNull();
            assertThat(Long.parseLong(r.header("retry-after"))).isPositive();
            assertThat(json(r).get("code").asInt()).isEqualTo(8);
          }
        }
      }
      assertThat(limitedAt).as("the third call from one address is limited").isBetween(2, 3);
      // Behind a trusted proxy, each forwarded client has its own bucket.
      for (int i = 0; i < 5; i++) {
        try (Response r = behindProxy.get("/v1/users/1", "Authorization", limitedAdmin,
            "X-Forwarded-For", "203.0.113." + i)) {
          assertThat(r.code()).as("client %d", i).isEqualTo(404);
        }
      }
    }
  }

  private static Span edgeSpan(String name) {
    return collector.spans().stream().filter(s -> s.getName().equals(name)
        && s.getKind() == Span.SpanKind.SPAN_KIND_SERVER).findFirst().orElse(null);
  }

  private static Span serverSpanOf(String rpc) {
    List<Span> spans = collector.spans();
    return spans.stream().filter(s -> s.getName().equals(rpc) && s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
        .findFirst().orElse(null);
  }

  private static String hex(com.google.protobuf.ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }
}
