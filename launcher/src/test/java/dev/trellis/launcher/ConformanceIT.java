package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.conformance.CaseResult;
import dev.trellis.conformance.Conformance;
import dev.trellis.conformance.ConformanceOptions;
import dev.trellis.platform.config.Settings;
import dev.trellis.testing.OtlpReceiver;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./trellis conformance} against a real local mesh: a launcher process ({@code up}, as a user starts it) on
 * free ports, then every case run over the network with the flags a user gives ({@code --dev --state-dir ...
 * --edge ...}); all must pass. The mesh exports its metrics to a stand-in collector, so the cancel cases also check
 * user-service's pool gauges: no shard connection in use once the cancelled calls are gone.
 */
class ConformanceIT {
  private static final Duration WAIT = Duration.ofSeconds(180);
  /** Small, so that very_large_request sends 1 MiB and not 50. */
  private static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  @TempDir static Path state;
  private static OtlpReceiver collector;
  private static Process mesh;
  private static final List<String> output = new CopyOnWriteArrayList<>();
  private static int userPort;
  private static int orderPort;
  private static int edgePort;

  @BeforeAll
  static void startMesh() throws IOException {
    collector = new OtlpReceiver();
    userPort = freePort();
    orderPort = freePort();
    edgePort = freePort();
    ProcessBuilder launcher = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), TrellisLauncher.class.getName(), "up",
        "--state-dir", state.toString(), "--shards", "2", "--user-port", Integer.toString(userPort),
        "--order-port", Integer.toString(orderPort), "--edge-port", Integer.toString(edgePort))
        .redirectErrorStream(true);
    launcher.environment().putAll(Map.of(
        "TRELLIS_GRPC_MAX_MESSAGE_BYTES", Integer.toString(MAX_MESSAGE_BYTES),
        "OTEL_SDK_DISABLED", "false",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint(),
        "OTEL_TRACES_EXPORTER", "none",
        "OTEL_METRIC_EXPORT_INTERVAL", "200"));
    mesh = launcher.start();
    mesh.getOutputStream().close();
    read(mesh.getInputStream());
    await().atMost(WAIT).until(() -> output.stream().anyMatch(l -> l.startsWith("Ctrl-C stops everything"))
        || !mesh.isAlive());
    assertThat(mesh.isAlive()).as("the mesh started: %s", output).isTrue();
  }

  @AfterAll
  static void stopMesh() throws InterruptedException {
    if (mesh != null) {
      mesh.destroy(); // SIGTERM: the mesh's own graceful stop
      if (!mesh.waitFor(60, TimeUnit.SECONDS)) {
        mesh.destroyForcibly();
      }
    }
    if (collector != null) {
      collector.close();
    }
  }

  @Test
  void everyCasePassesAgainstTheLocalMeshWithItsPoolsChecked() throws Exception {
    Settings flags = Settings.of(Map.of(),
        "--user-target", "127.0.0.1:" + userPort, "--order-target", "127.0.0.1:" + orderPort,
        "--edge", "http://127.0.0.1:" + edgePort, "--dev", "--state-dir", state.toString(),
        "--grpc-max-message-bytes", Integer.toString(MAX_MESSAGE_BYTES));
    ConformanceOptions options = ConformanceOptions.fromSettings(flags);
    flags.rejectUnknownFlags();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    List<CaseResult> results = Conformance.against(options).withPoolProbe(ConformanceIT::noUserConnectionInUse)
        .run(new PrintStream(printed, true, StandardCharsets.UTF_8));

    String lines = printed.toString(StandardCharsets.UTF_8);
    System.out.print(lines);
    assertThat(results).as(lines).allSatisfy(r -> assertThat(r.passed()).as(r.name() + ": " + r.note()).isTrue());
    assertThat(results).extracting(CaseResult::name).contains("empty_unary", "large_unary", "client_streaming",
        "server_streaming", "ping_pong", "empty_stream", "custom_metadata", "status_code_and_message",
        "special_status_message", "unimplemented_method", "unimplemented_service", "cancel_after_begin",
        "cancel_after_first_response", "timeout_on_sleeping_server", "very_large_request", "deadline_propagation",
        "health", "reflection_v1", "reflection_v1alpha", "rest_unary", "rest_status_mapping",
        "rest_server_streaming", "rest_unknown_path", "rest_method_not_allowed");
    assertThat(results.stream().filter(r -> r.name().startsWith("cancel_after")))
        .allSatisfy(r -> assertThat(r.note()).contains("0 user-service connections in use"));
  }

  /**
   * {@code --tls}: the same gRPC cases through TLS fronts on both services (as an ingress terminates TLS for a
   * deployment), the fronts' certificate trusted by {@code --tls-ca}.
   */
  @Test
  void everyGrpcCasePassesOverTlsTrustingTheGivenAuthority() throws Exception {
    try (TlsTerminator users = TlsTerminator.start(state, userPort);
        TlsTerminator orders = TlsTerminator.start(state, orderPort)) {
      Settings flags = Settings.of(Map.of(), "--user-target", users.target(), "--order-target", orders.target(),
          "--tls", "--tls-ca", users.caPem().toString(), "--dev", "--state-dir", state.toString(),
          "--grpc-max-message-bytes", Integer.toString(MAX_MESSAGE_BYTES));
      // One authority for both fronts: the user front's certificate, and the order front's appended to it.
      Files.writeString(users.caPem(), Files.readString(orders.caPem()), StandardOpenOption.APPEND);
      ConformanceOptions options = ConformanceOptions.fromSettings(flags);
      flags.rejectUnknownFlags();
      ByteArrayOutputStream printed = new ByteArrayOutputStream();

      List<CaseResult> results = Conformance.against(options).run(new PrintStream(printed, true,
          StandardCharsets.UTF_8));

      String lines = printed.toString(StandardCharsets.UTF_8);
      System.out.print(lines);
      assertThat(results).as(lines).allSatisfy(r -> assertThat(r.passed()).as(r.name() + ": " + r.note()).isTrue());
      assertThat(results).extracting(CaseResult::name).contains("empty_unary", "large_unary", "client_streaming",
          "server_streaming", "ping_pong", "cancel_after_begin", "very_large_request", "health", "reflection_v1")
          .noneMatch(name -> name.startsWith("rest_"));
      assertThat(users.handshakes()).as("TLS handshakes at the user-service front").isPositive();
      assertThat(orders.handshakes()).as("TLS handshakes at the order-service front").isPositive();
    }
  }

  /** Waits for two metric exports after now, and for the last one to show no connection of user-service in use. */
  private static String noUserConnectionInUse() {
    long after = collector.metricExports() + 2;
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> collector.metricExports() > after
        && inUse() == 0);
    return "pool gauges: 0 user-service connections in use";
  }

  private static long inUse() {
    Metric count = collector.latestMetric("user-service", "db.client.connection.count").orElseThrow();
    return count.getSum().getDataPointsList().stream()
        .filter(p -> p.getAttributesList().stream().anyMatch(a -> a.getKey().equals("db.client.connection.state")
            && a.getValue().getStringValue().equals("used")))
        .mapToLong(NumberDataPoint::getAsInt).sum();
  }

  private static void read(InputStream stream) {
    Thread.ofVirtual().start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          output.add(line);
        }
      } catch (IOException e) {
        output.add("(reading failed: " + e + ")");
      }
    });
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
