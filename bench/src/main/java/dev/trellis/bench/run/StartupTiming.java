package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long {@code ./trellis up} takes from the launcher JVM's start until every service answers SERVING through
 * grpc.health.v1 and the edge answers 200 on its health path (asked over the network every 50 ms, as a client
 * would): once on a fresh state directory (initdb of every shard, migrations) and once more on the same one (the
 * data is there). The launcher must be built ({@code ./trellis bench suite} builds it). It runs with the launcher's
 * JVM flags, CDS archive included: when there is none yet (or a jar changed), the fresh start writes it at its exit
 * and only the restart reads it.
 */
final class StartupTiming {
  /** The services {@code ./trellis up} runs today; order-service joins when it exists. */
  private static final List<String> SERVICES = List.of("trellis.user.v1.UserService");
  /** The edge's health path (TrellisEdge.HEALTH_PATH): 200 once it serves. */
  private static final String EDGE_HEALTH = "/healthz";

  private StartupTiming() {}

  /** Seconds to SERVING: {@code fresh} and {@code restart}. */
  static Map<String, Object> measure(Path root, Path work) throws IOException, InterruptedException {
    requireNonNull(root, "root");
    Path jar = root.resolve("launcher/target/trellis-launcher.jar");
    if (!Files.exists(jar)) {
      throw new IOException("the launcher is not built (" + jar + "); ./trellis bench suite builds it");
    }
    Path state = work.resolve("state");
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      figures.put("fresh", once(jar, state, work.resolve("up-fresh.log")));
      figures.put("restart", once(jar, state, work.resolve("up-restart.log")));
    } finally {
      deleteTree(state); // four shards' data: not worth keeping
    }
    figures.put("command", "./trellis up --state-dir <new dir> --user-port <free port> --edge-port <free port>,"
        + " then again on the same state directory; timed from the JVM's start to SERVING over grpc.health.v1 and"
        + " the edge's 200 on " + EDGE_HEALTH);
    return figures;
  }

  private static double once(Path jar, Path state, Path log) throws IOException, InterruptedException {
    int port = freePort();
    int edgePort = freePort();
    String java = ProcessHandle.current().info().command().orElse("java");
    // The JVM flags ./trellis up runs the launcher with (script trellis, launcher()): the same CDS archive.
    List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
        "-XX:SharedArchiveFile=" + jar + ".jsa", "-XX:+AutoCreateSharedArchive", "-Xlog:cds*=off,aot*=off", "-jar",
        jar.toString(), "up", "--state-dir", state.toString(), "--user-port", Integer.toString(port),
        "--edge-port", Integer.toString(edgePort)));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("TRELLIS_") || k.startsWith("OTEL_"));
    long start = System.nanoTime();
    Process up = builder.start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    HttpClient http = HttpClient.newHttpClient();
    URI edgeHealth = URI.create("http://127.0.0.1:" + edgePort + EDGE_HEALTH);
    try {
      for (String service : SERVICES) {
        while (!serving(channel, service)) {
          waitALittle(up, start, log);
        }
      }
      while (!answers(http, edgeHealth)) {
        waitALittle(up, start, log);
      }
      return (System.nanoTime() - start) / 1e9;
    } finally {
      http.close();
      channel.shutdownNow();
      up.destroy(); // SIGTERM: the mesh stops its services, then the shards
      if (!up.waitFor(60, TimeUnit.SECONDS)) {
        up.destroyForcibly().waitFor();
      }
    }
  }

  /** Between two asks: fails when the mesh has exited or has taken more than 3 minutes. */
  private static void waitALittle(Process up, long start, Path log) throws IOException, InterruptedException {
    if (!up.isAlive()) {
      throw new IOException("./trellis up exited before SERVING; see " + log);
    }
    if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(3)) {
      throw new IOException("./trellis up was not SERVING within 3 minutes; see " + log);
    }
    Thread.sleep(50);
  }

  private static boolean answers(HttpClient http, URI health) throws InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(1)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static boolean serving(ManagedChannel channel, String service) {
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus()
          == ServingStatus.SERVING;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
