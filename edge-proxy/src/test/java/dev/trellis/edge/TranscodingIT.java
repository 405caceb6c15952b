package dev.trellis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The google/api/http.proto features, through the real edge over HTTP to the test contract's service on real gRPC:
 * path templates (nested fields, `*`, `**`), additional_bindings, query parameters of every kind, body "*" / a field,
 * response_body, and the proto3 JSON mapping both ways.
 */
class TranscodingIT {
  static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension static final LibraryEdge LIBRARY = new LibraryEdge(Map.of());

  static JsonNode json(Response response) throws IOException {
    return JSON.readTree(response.body().string());
  }

  @Test
  void nestedPathVariableIsOneDecodedSegmentPerStar() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/shelves/s1/books/b%202")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.header("content-type")).isEqualTo("application/json");
      JsonNode book = json(r);
      assertThat(book.get("name").asText()).isEqualTo("shelves/s1/books/b 2");
      assertThat(book.get("pages").asText()).as("int64 prints as a string").isEqualTo("100");
      assertThat(book.get("genre").asText()).as("enums print by name").isEqualTo("GENRE_FICTION");
      assertThat(book.has("author")).as("default values are left out, as Envoy prints").isFalse();
    }
    try (Response r = LIBRARY.edge.get("/v1/shelves/s1/books")) {
      assertThat(r.code()).as("a `*` never matches a missing segment").isEqualTo(404);
    }
  }

  @Test
  void additionalBindingWithDoubleWildcardKeepsEncodedSlashes() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/books/a/b/c%2Fd%20e")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r).get("name").asText()).isEqualTo("a/b/c%2Fd e");
    }
  }

  @Test
  void bodyNamingAFieldFillsThatFieldAndThePathWins() throws Exception {
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b",
        "{\"name\":\"shelves/x/books/y\",\"title\":\"Dune\",\"genre\":\"GENRE_SCIENCE\","
            + "\"published\":\"2020-01-02T03:04:05Z\",\"authors\":[\"Frank\"]}")) {
      assertThat(r.code()).isEqualTo(200);
      JsonNode book = json(r);
      assertThat(book.get("name").asText()).isEqualTo("shelves/s/books/b");
      assertThat(book.get("title").asText()).isEqualTo("Dune");
      assertThat(book.get("published").asText()).isEqualTo("2020-01-02T03:04:05Z");
      assertThat(book.get("authors").get(0).asText()).isEqualTo("Frank");
      assertThat(r.header("deprecation")).as("nothing deprecated was used").isNull();
    }
  }

  @Test
  void responseBodyIsTheNamedFieldAlone() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/shelves/s1/titles")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("[\"A on s1\",\"B\"]");
    }
  }

  @Test
  void queryParametersFillScalarsRepeatedNestedAndWellKnownTypes() throws Exception {
    String query = "?ids=1&ids=2&filter.text=h%C3%A9&filter.genre=GENRE_SCIENCE&filter.limit=5&flag=true&ratio=0.5"
        + "&blob=aGk%3D&since=2024-01-01T00:00:00Z&big=18446744073709551615&tags=a&tags=b%20c&mask=a.b,c";
    try (Response r = LIBRARY.edge.get("/v1/echo/7" + query)) {
      assertThat(r.code()).isEqualTo(200);
      JsonNode echo = json(r);
      assertThat(echo.get("id").asText()).isEqualTo("7");
      assertThat(echo.get("ids").toString()).isEqualTo("[\"1\",\"2\"]");
      assertThat(echo.get("filter").toString())
          .isEqualTo("{\"text\":\"hé\",\"genre\":\"GENRE_SCIENCE\",\"limit\":5}");
      assertThat(echo.get("flag").asBoolean()).isTrue();
      assertThat(echo.get("ratio").asDouble()).isEqualTo(0.5);
      assertThat(echo.get("blob").asText()).isEqualTo("aGk=");
      assertThat(echo.get("since").asText()).isEqualTo("2024-01-01T00:00:00Z");
      assertThat(echo.get("big").asText()).isEqualTo("18446744073709551615");
      assertThat(echo.get("tags").toString()).isEqualTo("[\"a\",\"b c\"]");
      assertThat(echo.get("mask").asText()).isEqualTo("a.b,c");
    }
  }

  @Test
  void queryParametersTakeJsonNamesAndEnumNumbers() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/echo/1?filter.genre=1&flag=false")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r).get("filter").get("genre").asText()).isEqualTo("GENRE_FICTION");
    }
    try (Response r = LIBRARY.edge.get("/v1/count?limit=2&payloadBytes=3")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("{\"n\":\"1\",\"payload\":\"xxx\"}\n{\"n\":\"2\",\"payload\":\"xxx\"}\n");
    }
  }

  @Test
  void badQueryValuesAndUnknownParametersAreRefusedNamingThem() throws Exception {
    try (Response r = LIBRARY.edge.get("/v1/echo/seven")) {
      assertThat(r.code()).isEqualTo(400);
      JsonNode status = json(r);
      assertThat(status.get("code").asInt()).isEqualTo(3);
      assertThat(status.get("message").asText()).contains("'seven'").contains("id");
      assertThat(status.toString()).contains("google.rpc.BadRequest").contains("\"field\":\"id\"");
    }
    try (Response r = LIBRARY.edge.get("/v1/echo/1?colour=red")) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(json(r).get("message").asText()).contains("unknown query parameter 'colour'");
    }
    try (Response r = LIBRARY.edge.get("/v1/echo/1?id=2")) {
      assertThat(r.code()).as("a field bound by the path is not a parameter too").isEqualTo(400);
    }
    try (Response r = LIBRARY.edge.get("/v1/echo/1?flag=yes")) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(json(r).get("message").asText()).contains("flag");
    }
  }

  /**
   * JSON may escape half a surrogate pair, which is no Unicode text: refused naming the field. Passed on, protobuf
   * sends '?' for it, so "\\ud800" and "\\udc00" (two request ids, say) would reach the service as the same text.
   */
  @Test
  void aStringWithAnUnpairedSurrogateIsRefusedNamingTheField() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{\"note\":\"a\\ud800b\"}")) {
      assertThat(r.code()).isEqualTo(400);
      JsonNode status = json(r);
      assertThat(status.get("code").asInt()).isEqualTo(3);
      assertThat(status.get("message").asText()).isEqualTo("note: is not valid Unicode (half a surrogate pair at"
          + " character 2)");
      assertThat(status.toString()).contains("\"field\":\"note\"");
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{\"note\":\"\\ud83d\\ude00\"}")) {
      assertThat(r.code()).as("a whole pair is an emoji").isEqualTo(200);
      assertThat(json(r).get("note").asText()).isEqualTo("\ud83d\ude00");
    }
  }

  @Test
  void bodyStarTakesProtoAndJsonNamesAndRefusesQueryParameters() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{\"note\":\"hi\"}")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r).get("note").asText()).isEqualTo("hi");
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run?note=x", "{}")) {
      assertThat(r.code()).as("with body \"*\" every field travels in the body").isEqualTo(400);
    }
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b", "{\"title\":\"T\"}")) {
      assertThat(r.code()).isEqualTo(200);
    }
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b?update_mask=title,genre", "{\"title\":\"T\"}")) {
      assertThat(r.code()).as("a field outside the body may come in the query").isEqualTo(200);
    }
    try (Response r = LIBRARY.edge.send("PATCH", "/v1/shelves/s/books/b?updateMask=title", "{\"title\":\"T\"}")) {
      assertThat(r.code()).as("by its JSON name too").isEqualTo(200);
    }
  }

  @Test
  void customVerbsRouteAndAnIdWithAColonStillReachesItsVariable() throws Exception {
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:run", "{}")) {
      assertThat(r.code()).isEqualTo(200);
    }
    try (Response r = LIBRARY.edge.send("POST", "/v1/inspect:walk", "{}")) {
      assertThat(r.code()).isEqualTo(404);
    }
    try (Response r = LIBRARY.edge.get("/v1/shelves/s/books/b:c")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r).get("name").asText()).isEqualTo("shelves/s/books/b:c");
    }
  }
}
