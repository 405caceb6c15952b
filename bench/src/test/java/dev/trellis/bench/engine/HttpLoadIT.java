package dev.trellis.bench.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.trellis.bench.call.RequestTemplate;
import dev.trellis.bench.call.ValuePools;
import dev.trellis.bench.measure.Recording;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST side of the bench, built before the edge exists, against a real HTTP server (the JDK's): paths and
 * bodies from templates, statuses counted as HTTP codes, NDJSON streams counted per line, the bearer token sent.
 */
class HttpLoadIT {
  @TempDir
  Path work;

  private HttpServer server;
  private final ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/users", exchange -> {
      authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("authorization")));
      String path = exchange.getRequestURI().getPath();
      int status;
      String body;
      String type = "application/json";
      if (exchange.getRequestMethod().equals("POST")) {
        String sent = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        status = sent.contains("\"email\"") ? 200 : 400;
        body = sent;
      } else if (path.equals("/v1/users")) {
        status = 200;
        type = "application/x-ndjson";
        body = "{\"id\":\"1\"}\n{\"id\":\"2\"}\n{\"id\":\"3\"}\n";
      } else if (path.endsWith("/missing")) {
        status = 404;
        body = "{\"code\":5}";
      } else {
        status = 200;
        body = "{\"id\":\"" + path.substring(path.lastIndexOf('/') + 1) + "\"}";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("content-type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Test
  void aWeightedMixOfTemplatedRoutesCountsEveryStatusAndStreamLine() throws Exception {
    ValuePools pools = ValuePools.of(Map.of("user_id", List.of("11", "12", "missing")));
    List<JavaHttpLoad.HttpCall> calls = List.of(
        new JavaHttpLoad.HttpCall("GET", RequestTemplate.of("/v1/users/${user_id}"), RequestTemplate.of(""), 3),
        new JavaHttpLoad.HttpCall("POST", RequestTemplate.of("/v1/users"),
            RequestTemplate.of("{\"email\":\"b${seq}@example.com\",\"name\":\"B\"}"), 1),
        new JavaHttpLoad.HttpCall("GET", RequestTemplate.of("/v1/users"), RequestTemplate.of(""), 1));
    Recording r;
    try (JavaHttpLoad load = JavaHttpLoad.of("rest mix", base(), calls, pools, LoadModel.closed(8, 1),
        Optional.of("t0ken"))) {
      r = load.run(Duration.ZERO, Duration.ofMinutes(1), 500, p -> {}).recording();
    }

    assertThat(r.calls()).isEqualTo(500);
    assertThat(r.statuses().keySet()).containsExactlyInAnyOrder("HTTP 200", "HTTP 404");
    assertThat(r.errors()).isEqualTo(r.statuses().get("HTTP 404"));
    assertThat(r.errors()).isBetween(40L, 170L); // a third of three fifths of the calls, give or take
    // Streams count a message per NDJSON line: more messages than calls.
    assertThat(r.messages()).isGreaterThan(r.calls() - r.errors());
    assertThat(authorizations).hasSize(500).containsOnly("Bearer t0ken");
  }

  @Test
  void anOpenLoopPacesItsCalls() throws Exception {
    Recording r;
    try (JavaHttpLoad load = JavaHttpLoad.of("paced", base(), List.of(new JavaHttpLoad.HttpCall("GET",
        RequestTemplate.of("/v1/users/7"), RequestTemplate.of(""), 1)), ValuePools.empty(),
        LoadModel.open(200, 16, 1), Optional.empty())) {
      r = load.run(Duration.ZERO, Duration.ofMinutes(1), 100, p -> {}).recording();
    }
    assertThat(r.calls()).isEqualTo(100);
    // 100 calls at 200/s take half a second at least, however fast the server.
    assertThat(r.seconds()).isGreaterThanOrEqualTo(0.49);
  }

  @Test
  void callsThatEndWhileATimedRunSettlesAreMadeButNotMeasured() throws Exception {
    Load.Round round;
    try (JavaHttpLoad load = JavaHttpLoad.of("settled", base(), List.of(new JavaHttpLoad.HttpCall("GET",
        RequestTemplate.of("/v1/users/7"), RequestTemplate.of(""), 1)), ValuePools.empty(),
        LoadModel.open(100, 4, 1), Optional.empty())) {
      round = load.run(Duration.ofMillis(500), Duration.ofMillis(500), 0, p -> {});
    }
    Recording r = round.recording();
    // 100 calls/s for a second: about 50 while settling, 50 measured over the half second that counts.
    assertThat(r.seconds()).isCloseTo(0.5, org.assertj.core.api.Assertions.within(0.05));
    assertThat(r.calls()).isBetween(40L, 60L);
    assertThat(round.allCalls()).isBetween(90L, 110L);
    assertThat(authorizations).hasSize((int) round.allCalls());
  }

  @Test
  void h2loadOverHttp1PostsTheBodyAndLogsEveryRequest() throws Exception {
    assertThat(ExternalEngines.find(H2loadLoad.BINARY)).as(ExternalEngines.INSTALL).isPresent();
    Recording r;
    try (H2loadLoad load = H2loadLoad.http("rest h2load", base() + "/v1/users", "POST",
        "{\"email\":\"a@example.com\",\"name\":\"A\"}", LoadModel.closed(4, 2), true, Optional.of("t0ken"),
        work)) {
      assertThat(load.info().command()).startsWith("h2load --h1 -d ");
      r = load.run(Duration.ZERO, Duration.ofMinutes(1), 200, p -> {}).recording();
    }
    assertThat(r.calls()).isEqualTo(200);
    assertThat(r.statuses()).containsExactlyEntriesOf(Map.of("HTTP 200", 200L));
    assertThat(authorizations).hasSize(200).containsOnly("Bearer t0ken");
  }
}
