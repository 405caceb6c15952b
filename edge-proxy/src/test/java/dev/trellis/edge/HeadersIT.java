package dev.trellis.edge;

import static dev.trellis.edge.TranscodingIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.testing.LogCapture;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Headers both ways: what passes to the service as metadata (and what does not), the forwarded address, the request
 * id, response headers and trailers, the deadline from grpc-timeout, deprecation headers, CORS, and the access log.
 */
class HeadersIT {
  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  @RegisterExtension static final LibraryEdge LIBRARY = new LibraryEdge(Map.of());

  @Test
  void theServicesHeadersPassAsMetadataAndNothingElse() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{}",
        "Authorization", "Bearer abc.def.ghi", "x-request-id", "req-123", "traceparent", TRACEPARENT,
        "tracestate", "vendor=1", "Idempotency-Key", "key-9", "X-Forwarded-For", "203.0.113.9",
        "Cookie", "session=secret", "X-Other", "nope")) {
      assertThat(r.code()).isEqualTo(200);
      JsonNode seen = json(r).get("metadata");
      assertThat(seen.get("authorization").asText()).isEqualTo("Bearer abc.def.ghi");
      assertThat(seen.get("x-request-id").asText()).isEqualTo("req-123");
      assertThat(seen.get("traceparent").asText()).as("untouched when the edge does not trace").isEqualTo(TRACEPARENT);
      assertThat(seen.get("tracestate").asText()).isEqualTo("vendor=1");
      assertThat(seen.get("idempotency-key").asText()).isEqualTo("key-9");
      assertThat(seen.get("x-forwarded-for").asText()).as("the caller is no trusted proxy: its own header is dropped")
          .isEqualTo("127.0.0.1");
      assertThat(seen.has("cookie")).isFalse();
      assertThat(seen.has("x-other")).isFalse();
      assertThat(r.header("x-request-id")).as("the request id is echoed").isEqualTo("req-123");
      assertThat(r.header("x-test-header")).isEqualTo("from-headers");
      assertThat(r.header("x-test-trailer")).as("a unary response carries trailers as headers")
          .isEqualTo("from-trailers");
    }
  }

  /**
   * A metadata value is printable ASCII: a header that is not (UTF-8 bytes, a tab) is refused by name. Passed on, each
   * byte beyond ASCII became '?', so two different idempotency keys ("\u00fc1", "\u00e41") met as one.
   */
  @ParameterizedTest
  @ValueSource(strings = {"\u00fc1", "\u00e41", "a\tb"})
  void aMetadataHeaderThatIsNotPrintableAsciiIsRefusedNotMangled(String key) throws Exception {
    Request.Builder request = LIBRARY.edge.request("/v1/inspect:run")
        .post(RequestBody.create("{}", MediaType.get("application/json")));
    request.headers(request.build().headers().newBuilder().addUnsafeNonAscii("Idempotency-Key", key).build());
    try (Response r = LIBRARY.edge.http1.newCall(request.build()).execute()) {
      assertThat(r.code()).isEqualTo(400);
      JsonNode error = json(r);
      assertThat(error.get("code").asInt()).isEqualTo(3);
      assertThat(error.get("message").asText()).contains("idempotency-key").contains("printable ASCII");
    }
  }

  @Test
  void aRequestWithoutIdGetsOneAndAnUnsafeIdIsReplaced() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{}")) {
      String id = r.header("x-request-id");
      assertThat(id).matches("[0-9a-f-]{36}");
      assertThat(json(r).get("metadata").get("x-request-id").asText()).isEqualTo(id);
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{}", "x-request-id", "bad id with spaces")) {
      assertThat(r.header("x-request-id")).matches("[0-9a-f-]{36}");
    }
  }

  @Test
  void behindATrustedProxyTheForwardedChainIsKeptAndTheProxyAppended() throws Exception {
    try (EdgeFixture trusting = EdgeFixture.start(Map.of("trellis.edgetest.v1.LibraryService", LIBRARY.backend.target()),
        Map.of("TRELLIS_TRUSTED_PROXIES", "127.0.0.1/32"));
        Response r = trusting.send("POST", "/v1/inspect:run", "{}", "X-Forwarded-For", "203.0.113.9")) {
      assertThat(json(r).get("metadata").get("x-forwarded-for").asText()).isEqualTo("203.0.113.9, 127.0.0.1");
    }
  }

  @Test
  void grpcTimeoutBecomesTheDeadlineElseTheDefault() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/sleep", "grpc-timeout", "1500m")) {
      long left = json(r).get("deadlineMs").asLong();
      assertThat(left).isBetween(1000L, 1500L);
    }
    try (Response r = LIBRARY.edge.get("/v1/sleep")) {
      long left = json(r).get("deadlineMs").asLong();
      assertThat(left).as("TRELLIS_EDGE_DEADLINE, 30 s by default").isBetween(25_000L, 30_000L);
    }
    try (Response r = LIBRARY.edge.get("/v1/sleep?millis=3000", "grpc-timeout", "200m")) {
      assertThat(r.code()).isEqualTo(504);
      assertThat(json(r).get("code").asInt()).isEqualTo(4);
    }
  }

  @Test
  void aDeprecatedRpcGetsDeprecationAndSunset() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/old/shelves/s/books/b")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("deprecation")).as("RFC 9745: since 2025-06-01").isEqualTo("@1748736000");
      assertThat(r.header("sunset")).isEqualTo("Fri, 1 Jan 2027 00:00:00 GMT");
    }
  }

  @Test
  void aDeprecatedFieldInTheRequestGetsDeprecation() throws Exception {
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", "{\"title\":\"T\",\"author\":\"Ann\"}")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("deprecation")).as("undated").isEqualTo("true");
      assertThat(r.header("sunset")).isEqualTo("Thu, 31 Dec 2026 00:00:00 GMT");
    }
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", "{\"title\":\"T\",\"authors\":[\"Ann\"]}")) {
      assertThat(r.header("deprecation")).isNull();
    }
  }

  @Test
  void corsIsOffByDefault() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/shelves/s/books/b", "Origin", "https://app.example")) {
      assertThat(r.header("access-control-allow-origin")).isNull();
    }
    try (Response r = LIBRARY.edge.send("OPTIONS", "/v1/shelves/s/books/b", null, "Origin", "https://app.example",
        "Access-Control-Request-Method", "GET")) {
      assertThat(r.code()).isEqualTo(405);
      assertThat(r.header("access-control-allow-origin")).isNull();
    }
  }

  @Test
  void corsFromConfigurationAnswersPreflightsAndExposesHeaders() throws Exception {
    try (EdgeFixture cors = EdgeFixture.start(Map.of("trellis.edgetest.v1.LibraryService", LIBRARY.backend.target()),
        Map.of(EdgeSettings.CORS_ORIGINS, "https://app.example"))) {
      try (Response r = cors.send("OPTIONS", "/v1/shelves/s/books/b", null, "Origin", "https://app.example",
          "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,content-type")) {
        assertThat(r.code()).isEqualTo(204);
        assertThat(r.header("access-control-allow-origin")).isEqualTo("https://app.example");
        assertThat(r.header("access-control-allow-methods")).contains("PATCH");
        assertThat(r.header("access-control-allow-headers")).contains("authorization").contains("content-type");
        assertThat(r.header("vary")).isEqualTo("Origin");
      }
      try (Response r = cors.get("/v1/shelves/s/books/b", "Origin", "https://app.example")) {
        assertThat(r.header("access-control-allow-origin")).isEqualTo("https://app.example");
        assertThat(r.header("access-control-expose-headers")).contains("x-request-id").contains("x-test-trailer")
            .contains("grpc-status");
      }
      try (Response r = cors.send("OPTIONS", "/v1/shelves/s/books/b", null, "Origin", "https://evil.example",
          "Access-Control-Request-Method", "GET")) {
        assertThat(r.code()).isEqualTo(403);
        assertThat(r.header("access-control-allow-origin")).isNull();
      }
    }
  }

  @Test
  void everyRequestWritesOneAccessLogLine() throws Exception {
    try (LogCapture log = LogCapture.of("trellis.access")) {
      try (Response r = LIBRARY.edge.get("/v1/shelves/s/books/b", "x-request-id", "log-1")) {
        assertThat(r.code()).isEqualTo(200);
      }
      try (Response r = LIBRARY.edge.get("/v1/nowhere", "x-request-id", "log-2")) {
        assertThat(r.code()).isEqualTo(404);
      }
      org.awaitility.Awaitility.await().until(() -> log.lines().size() >= 2);
      JsonNode ok = log.lines().stream().filter(l -> "log-1".equals(l.path("request_id").asText())).findFirst()
          .orElseThrow();
      assertThat(ok.get("message").asText()).isEqualTo("http");
      assertThat(ok.get("method").asText()).isEqualTo("GET");
      assertThat(ok.get("path").asText()).isEqualTo("/v1/shelves/s/books/b");
      assertThat(ok.get("route").asText()).isEqualTo("/v1/{name=shelves/*/books/*}");
      assertThat(ok.get("rpc").asText()).isEqualTo("trellis.edgetest.v1.LibraryService/GetBook");
      assertThat(ok.get("status").asInt()).isEqualTo(200);
      assertThat(ok.get("grpc_status").asText()).isEqualTo("OK");
      assertThat(ok.get("duration_ms").isNumber()).isTrue();
      JsonNode missing = log.lines().stream().filter(l -> "log-2".equals(l.path("request_id").asText()))
          .findFirst().orElseThrow();
      assertThat(missing.get("status").asInt()).isEqualTo(404);
    }
  }
}
