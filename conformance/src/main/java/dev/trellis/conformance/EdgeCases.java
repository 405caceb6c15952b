package dev.trellis.conformance;

import static dev.trellis.conformance.CaseFailure.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The same promises over REST through the edge (the google.api.http routes, as Envoy's grpc_json_transcoder maps
 * them): a unary call, a gRPC status mapped onto HTTP with the google.rpc.Status as the body, a server stream as
 * NDJSON, and the edge's own 404 and 405.
 */
final class EdgeCases {
  static final String TARGET = "edge";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI edge;
  private final String token;
  private final RunData data;
  private final HttpClient http;

  EdgeCases(URI edge, String token, RunData data, HttpClient http) {
    this.edge = edge;
    this.token = token;
    this.data = data;
    this.http = http;
  }

  List<InteropCase> cases() {
    return List.of(
        new InteropCase("rest_unary", "POST /v1/users, GET /v1/users/{id}", TARGET, this::unary),
        new InteropCase("rest_status_mapping", "GET /v1/users/{id}, POST /v1/users", TARGET, this::statusMapping),
        new InteropCase("rest_server_streaming", "GET /v1/users (NDJSON)", TARGET, this::serverStreaming),
        new InteropCase("rest_unknown_path", "GET /v1/no-such-route", TARGET, this::unknownPath),
        new InteropCase("rest_method_not_allowed", "DELETE /v1/users", TARGET, this::methodNotAllowed));
  }

  private String unary() throws Exception {
    JsonNode created = createUser(data.tag());
    HttpResponse<String> got = send(request("/v1/users/" + created.get("id").asText()).GET());
    check(got.statusCode() == 200, "GET /v1/users/{id} answered " + got.statusCode() + ": " + got.body());
    check(JSON.readTree(got.body()).equals(created), "GET answered " + got.body() + "; POST answered " + created);
    return "200 twice, the same user as JSON (id " + created.get("id").asText() + ")";
  }

  /** NOT_FOUND is 404 and INVALID_ARGUMENT 400, each with the google.rpc.Status as the body. */
  private String statusMapping() throws Exception {
    JsonNode created = createUser(data.tag());
    String id = created.get("id").asText();
    HttpResponse<String> deleted = send(request("/v1/users/" + id).DELETE());
    check(deleted.statusCode() == 200, "DELETE /v1/users/{id} answered " + deleted.statusCode());
    HttpResponse<String> missing = send(request("/v1/users/" + id).GET());
    JsonNode notFound = errorBody(missing, 404, 5);
    check(notFound.path("message").asText().contains("users/" + id), "the 404's message: " + notFound);
    check(hasDetail(notFound, "type.googleapis.com/google.rpc.ResourceInfo"), "the 404 has no ResourceInfo: "
        + notFound);
    HttpResponse<String> invalid = send(request("/v1/users").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"not an email\",\"name\":\"x\"}")));
    JsonNode badRequest = errorBody(invalid, 400, 3);
    check(hasDetail(badRequest, "type.googleapis.com/google.rpc.BadRequest"), "the 400 has no BadRequest: "
        + badRequest);
    return "404 with code 5 and ResourceInfo; 400 with code 3 and BadRequest";
  }

  private String serverStreaming() throws Exception {
    String tag = data.tag();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(createUser(tag).get("id").asText());
    }
    String filter = URLEncoder.encode("name : \"" + tag + "\"", StandardCharsets.UTF_8);
    HttpResponse<String> listed = send(request("/v1/users?filter=" + filter).GET());
    check(listed.statusCode() == 200, "GET /v1/users answered " + listed.statusCode() + ": " + listed.body());
    String type = listed.headers().firstValue("content-type").orElse("");
    check(type.startsWith("application/x-ndjson"), "the stream's content type is '" + type + "'");
    List<String> streamed = new ArrayList<>();
    for (String line : listed.body().split("\n")) {
      if (!line.isBlank()) {
        JsonNode user = JSON.readTree(line);
        check(!user.has("error"), "the stream ended with an error line: " + line);
        streamed.add(user.get("id").asText());
      }
    }
    check(streamed.equals(ids.stream().sorted((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)))
        .toList()), "NDJSON streamed " + streamed + "; expected " + ids);
    return streamed.size() + " lines of application/x-ndjson";
  }

  private String unknownPath() throws Exception {
    HttpResponse<String> answer = send(request("/v1/no-such-route").GET());
    errorBody(answer, 404, 5);
    return "404 with a google.rpc.Status body";
  }

  private String methodNotAllowed() throws Exception {
    HttpResponse<String> answer = send(request("/v1/users").DELETE());
    errorBody(answer, 405, 12);
    String allow = answer.headers().firstValue("allow").orElse("");
    check(allow.contains("GET") && allow.contains("POST"), "405's Allow is '" + allow + "'");
    return "405, Allow: " + allow;
  }

  private JsonNode createUser(String tag) throws Exception {
    var user = data.newUserRequest(tag);
    String body = JSON.createObjectNode().put("email", user.getEmail()).put("name", user.getName()).toString();
    HttpResponse<String> created = send(request("/v1/users").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    check(created.statusCode() == 200, "POST /v1/users answered " + created.statusCode() + ": " + created.body());
    return JSON.readTree(created.body());
  }

  /** The answer has {@code httpStatus} and a google.rpc.Status body with {@code code}. */
  private static JsonNode errorBody(HttpResponse<String> answer, int httpStatus, int code) throws IOException {
    check(answer.statusCode() == httpStatus, answer.request().method() + " " + answer.request().uri().getPath()
        + " answered " + answer.statusCode() + "; expected " + httpStatus + ": " + answer.body());
    JsonNode body = JSON.readTree(answer.body());
    check(body.path("code").asInt(-1) == code && body.hasNonNull("message"),
        "the body is not a google.rpc.Status with code " + code + ": " + answer.body());
    return body;
  }

  private static boolean hasDetail(JsonNode status, String type) {
    for (JsonNode detail : status.path("details")) {
      if (type.equals(detail.path("@type").asText())) {
        return true;
      }
    }
    return false;
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(edge + pathAndQuery)).timeout(MeshClients.CALL_DEADLINE)
        .header("Authorization", "Bearer " + token);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
