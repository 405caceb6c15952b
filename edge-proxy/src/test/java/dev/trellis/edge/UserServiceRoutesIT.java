package dev.trellis.edge;

import static dev.trellis.edge.TranscodingIT.JSON;
import static dev.trellis.edge.TranscodingIT.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.testing.ServiceExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every REST route of UserService, through the edge to the real user-service on real PostgreSQL shards. */
class UserServiceRoutesIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms");
  private static EdgeFixture edge;
  private static String admin;

  @BeforeAll
  static void start() {
    edge = EdgeFixture.start(Map.of(EdgeFixture.USER_SERVICE, EdgeFixture.target(users)), Map.of());
    admin = EdgeFixture.bearer(users.tokens().admin(1));
  }

  @AfterAll
  static void stop() {
    edge.close();
  }

  private static JsonNode create(String email, String name) throws Exception {
    try (Response r = edge.send("POST", "/v1/users", "{\"email\":\"" + email + "\",\"name\":\"" + name + "\"}",
        "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(200);
      return json(r);
    }
  }

  @Test
  void createGetUpdateDelete() throws Exception {
    JsonNode ada = create("ada@routes.example", "Ada Lovelace");
    String id = ada.get("id").asText();
    assertThat(Long.parseLong(id)).as("int64 ids travel as strings").isPositive();
    assertThat(ada.get("createdAt").asText()).isNotEmpty();
    try (Response r = edge.get("/v1/users/" + id, "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r)).isEqualTo(ada);
    }
    try (Response r = edge.send("PATCH", "/v1/users/" + id + "?update_mask=name", "{\"name\":\"Ada King\"}",
        "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(json(r).get("name").asText()).isEqualTo("Ada King");
    }
    try (Response r = edge.send("PATCH", "/v1/users/" + id, "{\"email\":\"ada.king@routes.example\"}",
        "Authorization", admin)) {
      assertThat(json(r).get("email").asText()).as("no mask: the fields set").isEqualTo("ada.king@routes.example");
    }
    try (Response r = edge.send("DELETE", "/v1/users/" + id, null, "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("{}");
    }
    try (Response r = edge.get("/v1/users/" + id, "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(404);
      JsonNode status = json(r);
      assertThat(status.get("code").asInt()).isEqualTo(5);
      assertThat(status.toString()).contains("type.googleapis.com/google.rpc.ResourceInfo");
    }
  }

  @Test
  void listUsersIsNdjsonWithTheNextPageTokenAsTrailer() throws Exception {
    JsonNode first = create("grace1@list.example", "Grace List");
    JsonNode second = create("grace2@list.example", "Grace List");
    String filter = "?filter=name%20%3A%20%22Grace%20List%22";
    String token;
    try (Response r = edge.get("/v1/users" + filter + "&page_size=1", "Authorization", admin)) {
      assertThat(r.header("content-type")).isEqualTo("application/x-ndjson");
      String[] lines = r.body().string().split("\n");
      assertThat(lines).hasSize(1);
      assertThat(JSON.readTree(lines[0]).get("id")).isEqualTo(first.get("id"));
      token = r.trailers().get("x-next-page-token");
      assertThat(token).isNotEmpty();
    }
    try (Response r = edge.get("/v1/users" + filter + "&pageSize=1&pageToken=" + token, "Authorization", admin)) {
      String[] lines = r.body().string().split("\n");
      assertThat(JSON.readTree(lines[0]).get("id")).isEqualTo(second.get("id"));
      assertThat(r.trailers().get("x-next-page-token")).as("none on the last page").isNull();
    }
  }

  @Test
  void subscribeToUpdatesStreamsChangesAsTheyHappen() throws Exception {
    JsonNode user = create("sub@routes.example", "Sub Scriber");
    String id = user.get("id").asText();
    // gRPC sends the response head with the first message, so the HTTP response starts with the first update.
    var subscribed = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return edge.get("/v1/users:subscribe?user_ids=" + id, "Authorization", admin);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    // A change made before the subscription is in place is not delivered: rename until one is.
    Response subscription = null;
    for (int attempt = 0; subscription == null && attempt < 100; attempt++) {
      try (Response rename = edge.send("PATCH", "/v1/users/" + id, "{\"name\":\"Renamed " + attempt + "\"}",
          "Authorization", admin)) {
        assertThat(rename.code()).isEqualTo(200);
      }
      try {
        subscription = subscribed.get(200, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException notYet) {
        // no update reached the subscriber yet
      }
    }
    try (Response r = subscription) {
      assertThat(r).isNotNull();
      BufferedReader lines = new BufferedReader(new InputStreamReader(r.body().byteStream()));
      JsonNode update = JSON.readTree(lines.readLine());
      assertThat(update.get("userId").asText()).isEqualTo(id);
      assertThat(update.get("eventType").asText()).isEqualTo("UPDATED");
      assertThat(update.get("user").get("name").asText()).startsWith("Renamed");
    }
  }

  @Test
  void importUsersFromAJsonArrayAndFromNdjson() throws Exception {
    try (Response r = edge.send("POST", "/v1/users:import",
        "[{\"email\":\"i1@import.example\",\"name\":\"One\"},{\"email\":\"bad\",\"name\":\"Two\"},"
            + "{\"email\":\"i3@import.example\",\"name\":\"Three\",\"roles\":[\"user\"]}]", "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(200);
      JsonNode result = json(r);
      assertThat(result.get("createdCount").asInt()).isEqualTo(2);
      assertThat(result.get("errors").get(0).get("index").asInt()).isEqualTo(1);
    }
    RequestBody ndjson = RequestBody.create("{\"email\":\"i4@import.example\",\"name\":\"Four\"}\n",
        MediaType.get("application/x-ndjson"));
    try (Response r = edge.http2.newCall(edge.request("/v1/users:import", "Authorization", admin).post(ndjson)
        .build()).execute()) {
      assertThat(json(r).get("createdCount").asInt()).isEqualTo(1);
    }
  }

  @Test
  void theServicesErrorsKeepTheirStatusAndDetails() throws Exception {
    try (Response r = edge.get("/v1/users/1")) {
      assertThat(r.code()).as("no token").isEqualTo(401);
    }
    JsonNode owner = create("owner@errors.example", "Owner");
    JsonNode other = create("other@errors.example", "Other");
    try (Response r = edge.get("/v1/users/" + other.get("id").asText(), "Authorization",
        EdgeFixture.bearer(users.tokens().user(owner.get("id").asLong())))) {
      assertThat(r.code()).isEqualTo(403);
    }
    try (Response r = edge.send("POST", "/v1/users", "{\"email\":\"owner@errors.example\",\"name\":\"Again\"}",
        "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(409);
    }
    try (Response r = edge.send("POST", "/v1/users", "{\"email\":\"not-an-email\",\"name\":\"\"}",
        "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(400);
      JsonNode status = json(r);
      assertThat(status.toString()).contains("type.googleapis.com/google.rpc.BadRequest").contains("fieldViolations");
    }
    try (Response r = edge.send("POST", "/v1/users", "{\"email\":\"x@y.z\",\"nickname\":\"X\"}",
        "Authorization", admin)) {
      assertThat(r.code()).isEqualTo(400);
      assertThat(json(r).get("message").asText()).contains("'nickname'");
    }
  }

  @Test
  void bidiAndUnmappedRpcsHaveNoRoutes() throws Exception {
    for (String path : List.of("/trellis.user.v1.UserService/GetUser", "/v1/users/1/orders")) {
      try (Response r = edge.get(path, "Authorization", admin)) {
        assertThat(r.code()).isEqualTo(404);
      }
    }
  }
}
