package dev.trellis.edge;

import static dev.trellis.edge.TranscodingIT.JSON;
import static dev.trellis.edge.TranscodingIT.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.edge.ErrorMappingIT.ChunkedBody;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streams through the edge: server streams as NDJSON (each message a line, flushed as it comes; trailers as HTTP
 * trailers; an error in the middle as a last {"error": ...} line; a slow reader holds the service back) and client
 * streams from a JSON array or NDJSON body, passed on without reading the body whole.
 */
class StreamingIT {
  @RegisterExtension static final LibraryEdge LIBRARY = new LibraryEdge(Map.of(EdgeSettings.MAX_BODY_BYTES, "4096"));

  @Test
  void serverStreamIsNdjsonWithTrailers() throws Exception {
    for (var client : List.of(LIBRARY.edge.http1, LIBRARY.edge.http2)) {
      try (Response r = client.newCall(LIBRARY.edge.request("/v1/count?limit=3").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/x-ndjson");
        assertThat(r.header("x-test-header")).as("response headers pass").isEqualTo("from-headers");
        assertThat(r.body().string()).isEqualTo("{\"n\":\"1\"}\n{\"n\":\"2\"}\n{\"n\":\"3\"}\n");
        assertThat(r.trailers().get("x-test-trailer")).as("trailers come as HTTP trailers").isEqualTo("from-trailers");
        assertThat(r.trailers().get("grpc-status")).isEqualTo("0");
      }
    }
  }

  @Test
  void eachLineIsFlushedAsItComes() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/count?payloadBytes=10")) {
      BufferedReader lines = new BufferedReader(new InputStreamReader(r.body().byteStream(), StandardCharsets.UTF_8));
      assertThat(lines.readLine()).isEqualTo("{\"n\":\"1\",\"payload\":\"xxxxxxxxxx\"}");
      assertThat(lines.readLine()).startsWith("{\"n\":\"2\"");
    }
  }

  @Test
  void anErrorInTheMiddleIsTheLastLine() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/count?limit=10&failAfter=2")) {
      assertThat(r.code()).as("the status line went out with the first message").isEqualTo(200);
      String[] lines = r.body().string().split("\n");
      assertThat(lines).hasSize(3);
      JsonNode error = JSON.readTree(lines[2]).get("error");
      assertThat(error.get("code").asInt()).isEqualTo(10);
      assertThat(error.get("message").asText()).isEqualTo("failed after 2");
      assertThat(r.trailers().get("grpc-status")).isEqualTo("10");
    }
  }

  @Test
  void anErrorBeforeAnyMessageIsAnErrorResponse() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/count?limit=10&failAfter=-1")) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(r.header("content-type")).isEqualTo("application/json");
      assertThat(json(r).get("message").asText()).isEqualTo("failed before the first");
    }
  }

  @Test
  void aSlowReaderHoldsTheServiceBackInsteadOfFillingTheEdge() throws Exception {
    long before = LIBRARY.backend.countSent.get();
    // 1 KiB per message and no end: without flow control the service would send as fast as it can.
    try (Response r = LIBRARY.edge.get("/v1/count?payloadBytes=1024")) {
      BufferedReader lines = new BufferedReader(new InputStreamReader(r.body().byteStream(), StandardCharsets.UTF_8));
      assertThat(lines.readLine()).startsWith("{\"n\":\"1\"");
      // The reader stops. The service stops too, once the windows and buffers between them are full.
      // Still for half a second on end; a busy machine may pause the stream for a moment before the buffers fill,
      // so a count that moves again restarts the half second.
      long[] last = {-1};
      await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            long now = LIBRARY.backend.countSent.get();
            boolean still = now == last[0];
            last[0] = now;
            return still;
          });
      long held = LIBRARY.backend.countSent.get() - before;
      // Socket buffers, HTTP/2 windows and the edge's 64 KiB mark hold a few thousand 1 KiB messages at most.
      assertThat(held).as("messages the service sent to a reader that stopped").isLessThan(30_000);
      // Reading on takes the stream on: nothing was lost on the way.
      for (int i = 2; i <= 200; i++) {
        assertThat(lines.readLine()).startsWith("{\"n\":\"" + i + "\"");
      }
    }
  }

  @Test
  void clientStreamFromAJsonArray() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/collect", "[{\"n\":1},{\"n\":\"2\"},{\"n\":3}]")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("{\"count\":\"3\",\"sum\":\"6\"}");
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/collect", "[]")) {
      assertThat(r.body().string()).isEqualTo("{}");
    }
  }

  @Test
  void clientStreamFromNdjson() throws Exception {
    RequestBody ndjson = RequestBody.create("{\"n\":4}\n{\"n\":5}\n", MediaType.get("application/x-ndjson"));
    try (Response r = LIBRARY.edge.http1.newCall(LIBRARY.edge.request("/v1/collect").post(ndjson).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("{\"count\":\"2\",\"sum\":\"9\"}");
    }
  }

  @Test
  void clientStreamLongerThanTheBodyLimitStreamsThrough() throws Exception {
    // 20,000 messages, about 200 KB, through an edge whose body limit is 4 KiB: the limit is per message.
    StringBuilder body = new StringBuilder("[");
    for (int i = 1; i <= 20_000; i++) {
      body.append(i == 1 ? "" : ",").append("{\"n\":").append(i).append('}');
    }
    body.append(']');
    for (var client : List.of(LIBRARY.edge.http1, LIBRARY.edge.http2)) {
      try (Response r = client.newCall(LIBRARY.edge.request("/v1/collect").post(new ChunkedBody(body.toString())).build())
          .execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(json(r).get("sum").asText()).isEqualTo(Long.toString(20_000L * 20_001 / 2));
      }
    }
  }

  @Test
  void clientStreamErrors() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/collect", "[{\"n\":1},{\"n\":")) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(json(r).get("details").get(0).get("reason").asText()).isEqualTo("INVALID_JSON");
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/collect", "[{\"n\":1},{\"m\":2}]")) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(json(r).get("message").asText()).contains("'m'");
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/collect", "[{\"payload\":\"" + "x".repeat(5000) + "\"}]")) {
      assertThat(r.code()).as("one message over the limit").isEqualTo(413);
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/collect", "[{\"n\":1}] [")) {
      assertThat(r.code()).isEqualTo(400);
    }
  }

  @Test
  void manyLinesArriveInOrder() throws Exception {
    try (Response r = LIBRARY.edge.http2.newCall(LIBRARY.edge.request("/v1/count?limit=5000&payloadBytes=100").build()).execute()) {
      List<String> lines = new ArrayList<>(List.of(r.body().string().split("\n")));
      assertThat(lines).hasSize(5000);
      assertThat(lines.get(4999)).startsWith("{\"n\":\"5000\"");
    }
  }
}
