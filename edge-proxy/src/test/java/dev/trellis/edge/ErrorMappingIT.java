package dev.trellis.edge;

import static dev.trellis.edge.TranscodingIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every gRPC status as its HTTP status with the google.rpc.Status (details as JSON objects with "@type") as the body,
 * and the edge's own answers: unknown path, wrong method, invalid JSON, unknown field, oversize body, wrong media type.
 */
class ErrorMappingIT {
  @RegisterExtension static final LibraryEdge LIBRARY = new LibraryEdge(Map.of(EdgeSettings.MAX_BODY_BYTES, "4096"));

  @ParameterizedTest(name = "{0} is HTTP {1}")
  @CsvSource({
      "CANCELLED, 499", "UNKNOWN, 500", "INVALID_ARGUMENT, 400", "DEADLINE_EXCEEDED, 504", "NOT_FOUND, 404",
      "ALREADY_EXISTS, 409", "PERMISSION_DENIED, 403", "RESOURCE_EXHAUSTED, 429", "FAILED_PRECONDITION, 400",
      "ABORTED, 409", "OUT_OF_RANGE, 400", "UNIMPLEMENTED, 501", "INTERNAL, 500", "UNAVAILABLE, 503",
      "DATA_LOSS, 500", "UNAUTHENTICATED, 401"})
  void statusMapsToHttpWithTheStatusAsBody(Status.Code code, int http) throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/fail/" + code.value() + "?message=went%20wrong")) {
      assertThat(r.code()).isEqualTo(http);
      assertThat(r.header("content-type")).isEqualTo("application/json");
      JsonNode status = json(r);
      assertThat(status.get("code").asInt()).isEqualTo(code.value());
      assertThat(status.get("message").asText()).isEqualTo("went wrong");
      JsonNode detail = status.get("details").get(0);
      assertThat(detail.get("@type").asText()).isEqualTo("type.googleapis.com/google.rpc.ErrorInfo");
      assertThat(detail.get("reason").asText()).isEqualTo("TEST_FAILURE");
      assertThat(r.header("retry-after")).isNull();
    }
  }

  @Test
  void okIsTwoHundred() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/fail/0?message=fine")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r).get("message").asText()).isEqualTo("fine");
    }
  }

  @Test
  void resourceExhaustedCarriesRetryAfterFromRetryInfoRoundedUp() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/fail/8?retryAfterMs=1500")) {
      assertThat(r.code()).isEqualTo(429);
      assertThat(r.header("retry-after")).isEqualTo("2");
      assertThat(json(r).toString()).contains("\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\"")
          .contains("\"retryDelay\":\"1.500s\"");
    }
  }

  @Test
  void unknownPathIs404WithAStatus() throws Exception {
    try (Response r = LIBRARY.edge.get("/v2/nothing/here")) {
      assertThat(r.code()).isEqualTo(404);
      JsonNode status = json(r);
      assertThat(status.get("code").asInt()).isEqualTo(5);
      assertThat(status.get("message").asText()).contains("/v2/nothing/here");
      assertThat(status.get("details").get(0).get("reason").asText()).isEqualTo("UNKNOWN_PATH");
    }
  }

  @Test
  void wrongMethodOnAKnownPathIs405WithAllow() throws Exception {
    try (Response r = LIBRARY.edge.send("DELETE", "/v1/echo/1", null)) {
      assertThat(r.code()).isEqualTo(405);
      assertThat(r.header("allow")).isEqualTo("GET");
      assertThat(json(r).get("details").get(0).get("reason").asText()).isEqualTo("METHOD_NOT_ALLOWED");
    }
    try (Response r = LIBRARY.edge.send("PUT", "/v1/shelves/s/books/b", "{}")) {
      assertThat(r.code()).isEqualTo(405);
      assertThat(r.header("allow")).isEqualTo("GET, PATCH");
    }
  }

  @Test
  void invalidJsonIs400() throws Exception {
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", "{\"title\": ")) {
      assertThat(r.code()).isEqualTo(400);
      JsonNode status = json(r);
      assertThat(status.get("code").asInt()).isEqualTo(3);
      assertThat(status.get("details").get(0).get("reason").asText()).isEqualTo("INVALID_JSON");
    }
  }

  @Test
  void unknownFieldIs400NamingTheField() throws Exception {
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", "{\"title\":\"T\",\"colour\":\"red\"}")) {
      assertThat(r.code()).isEqualTo(400);
      JsonNode status = json(r);
      assertThat(status.get("message").asText()).isEqualTo("unknown field 'colour' in trellis.edgetest.v1.Book");
      assertThat(status.toString()).contains("\"field\":\"colour\"");
    }
  }

  @Test
  void wrongValueTypeIs400() throws Exception {
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", "{\"genre\":\"GENRE_POETRY\"}")) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(json(r).get("message").asText()).contains("GENRE_POETRY");
    }
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    String big = "{\"title\":\"" + "x".repeat(5000) + "\"}";
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", big)) {
      assertThat(r.code()).isEqualTo(413);
      assertThat(json(r).get("details").get(0).get("reason").asText()).isEqualTo("BODY_TOO_LARGE");
    }
    try (Response r = LIBRARY.edge.http1.newCall(LIBRARY.edge.request("/v1/shelves/s/books/b").patch(new ChunkedBody(big)).build())
        .execute()) {
      assertThat(r.code()).as("a chunked body is counted as it comes").isEqualTo(413);
    }
  }

  @Test
  void otherMediaTypesAre415() throws Exception {
    RequestBody text = RequestBody.create("title=T", MediaType.get("application/x-www-form-urlencoded"));
    try (Response r = LIBRARY.edge.http1.newCall(LIBRARY.edge.request("/v1/shelves/s/books/b").patch(text).build()).execute()) {
      assertThat(r.code()).isEqualTo(415);
      assertThat(json(r).get("details").get(0).get("reason").asText()).isEqualTo("UNSUPPORTED_MEDIA_TYPE");
    }
  }

  @Test
  void aServiceWithoutAnUpstreamIsNotRouted() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/users/1")) {
      assertThat(r.code()).as("only services with an upstream are served").isEqualTo(404);
    }
  }

  /** A body without a length: sent in chunks. */
  static final class ChunkedBody extends RequestBody {
    private final String text;

    ChunkedBody(String text) {
      this.text = text;
    }

    @Override
    public MediaType contentType() {
      return EdgeFixture.JSON;
    }

    @Override
    public long contentLength() {
      return -1;
    }

    @Override
    public void writeTo(okio.BufferedSink sink) throws java.io.IOException {
      for (int i = 0; i < text.length(); i += 1000) {
        sink.writeUtf8(text.substring(i, Math.min(text.length(), i + 1000)));
        sink.flush();
      }
    }
  }
}
