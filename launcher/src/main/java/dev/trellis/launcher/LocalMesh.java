package dev.trellis.launcher;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.ratelimit.RateLimitConfig;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisEdge;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The whole mesh in one JVM for local development: embedded PostgreSQL shards under the state directory, then
 * every service on the classpath ({@link TrellisService}, found by ServiceLoader: the launcher imports none) on its
 * port, in dev mode (HS256 dev tokens, plaintext gRPC), each checked SERVING through the standard health service,
 * then every edge ({@link TrellisEdge}, found the same way) in front of all the services, checked through its health
 * path, before the endpoints are printed. Ctrl-C (SIGINT) or SIGTERM stops the edges, then the services
 * gracefully, then the shards. Running it again on the same state directory keeps the data.
 *
 * <p>A start it refuses (the state directory in use, a port taken, another shard count than the state holds) is one
 * line on stderr and a non-zero exit; the details go to the log file only.
 */
final class LocalMesh implements AutoCloseable {
  static final String READY = "Trellis is up";
  private static final Duration ADMIN_TOKEN_TTL = Duration.ofHours(12);
  private static final String LOCALHOST = "127.0.0.1/32";
  /** Lines for the log file only (launcher-logback.xml): the terminal gets one line per refused start. */
  private static final Logger details = LoggerFactory.getLogger("trellis.launcher.details");

  private final LocalMeshSettings settings;
  private final List<TrellisService> services;
  private final List<TrellisEdge> edges;
  private final PrintStream out;
  // Written by start() and read by close() on the shutdown hook's thread: both hold the lock.
  private EmbeddedShards shards;
  private final List<Running> running = new ArrayList<>();
  private final List<TrellisEdge.Running> runningEdges = new ArrayList<>();
  private boolean closed;

  private record Running(TrellisService service, ServiceRuntime runtime, TrellisServer server) {}

  private LocalMesh(LocalMeshSettings settings, List<TrellisService> services, List<TrellisEdge> edges,
      PrintStream out) {
    this.settings = settings;
    this.services = services;
    this.edges = edges;
    this.out = out;
  }

  /** Starts the mesh, prints how to use it, and serves until the process is told to stop. */
  static void run(LocalMeshSettings settings, Settings processSettings) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    long started = System.nanoTime();
    LocalMesh mesh = new LocalMesh(settings, TrellisService.all(), TrellisEdge.all(), System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(mesh::close, "trellis-up-shutdown"));
    try {
      mesh.start(processSettings);
    } catch (ConfigException e) {
      details.error("the local mesh refused to start", e);
      TrellisLauncher.fail(e.getMessage(), TrellisLauncher.CONFIG_ERROR);
    } catch (RuntimeException e) {
      details.error("the local mesh failed to start", e);
      TrellisLauncher.fail("the local mesh failed to start: " + e.getMessage()
          + " (details in " + settings.state().logs().resolve(TrellisLauncher.LOG_FILE) + ")",
          TrellisLauncher.FAILED);
    }
    mesh.printBanner(Duration.ofNanos(System.nanoTime() - started));
    try {
      mesh.awaitStop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts the shards, then the services, then the edges. Holds the lock throughout: a Ctrl-C meanwhile waits for
   * the start to end, then stops whatever it started.
   */
  private synchronized void start(Settings processSettings) {
    if (closed) {
      throw new IllegalStateException("stopped before it started");
    }
    out.println("Starting Trellis in LOCAL DEV MODE: embedded PostgreSQL, dev-signed tokens, plaintext gRPC."
        + " Nothing here is a cluster default.");
    for (String name : settings.ports().keySet()) {
      requireFree(name);
    }
    shards = EmbeddedShards.builder(settings.state().shards())
        .shards(settings.shards())
        .closeOnJvmExit(false) // this mesh stops its services first, then the shards
        .start();
    for (TrellisService service : services) {
      int port = settings.port(service.name());
      ServiceRuntime runtime = ServiceRuntime.create(service.name(), serviceSettings(processSettings, service));
      TrellisServer server;
      try {
        server = service.create(runtime);
      } catch (RuntimeException e) {
        runtime.close();
        throw e;
      }
      running.add(new Running(service, runtime, server));
      try {
        server.start();
      } catch (IOException e) {
        throw new ConfigException(portTaken(service.name(), port));
      }
      awaitServing(port);
    }
    Map<String, String> upstreams = upstreams();
    for (TrellisEdge edge : edges) {
      int port = settings.port(edge.name());
      try {
        runningEdges.add(edge.start(processSettings, port, upstreams));
      } catch (IOException e) {
        throw new ConfigException(portTaken(edge.name(), port));
      }
      awaitHealthy(port);
    }
  }

  /** A taken port stops the start before any shard starts. */
  private void requireFree(String name) {
    int port = settings.port(name);
    try {
      new ServerSocket(port).close();
    } catch (IOException e) {
      throw new ConfigException(portTaken(name, port));
    }
  }

  private static String portTaken(String name, int port) {
    return "port " + port + " of " + name + " is taken: stop what listens there, or choose another with "
        + LocalMeshSettings.portFlag(name);
  }

  /** Every gRPC service the mesh runs, at its server's local address: what the edges forward to. */
  private Map<String, String> upstreams() {
    Map<String, String> upstreams = new LinkedHashMap<>();
    for (Running r : running) {
      r.server().serviceNames().forEach(name -> upstreams.put(name, "127.0.0.1:" + r.server().getPort()));
    }
    return upstreams;
  }

  /**
   * A service's settings: the process environment, then dev mode, its port, its database on the shards, where every
   * other service of the mesh listens (order-service calls user-service over the network, as in a cluster), and
   * demo data.
   */
  private Settings serviceSettings(Settings processSettings, TrellisService service) {
    Map<String, String> local = new HashMap<>();
    service.database().ifPresent(db -> local.putAll(shards.topology(db.name()).toSettings()));
    local.put(AuthConfig.DEV_MODE, "true");
    local.put(AuthConfig.DEV_KEY_FILE, settings.state().devKeyFile().toString());
    local.put(ServerConfig.PORT, Integer.toString(settings.port(service.name())));
    for (TrellisService other : services) {
      local.put(TrellisService.targetVariable(other.name()), "127.0.0.1:" + settings.port(other.name()));
    }
    local.put(TrellisService.DEMO_DATA, "true");
    if (processSettings.optional(ShardPoolSettings.DIRECTORY_POLL).isEmpty()) {
      // ./trellis reshard moves buckets with a short grace (ReshardCommand.GRACE): follow the directory quickly.
      local.put(ShardPoolSettings.DIRECTORY_POLL, "250ms");
    }
    if (!edges.isEmpty()) {
      // The edges forward each caller's address; the services' per-address limit believes it from this host.
      local.put(RateLimitConfig.TRUSTED_PROXIES,
          processSettings.optional(RateLimitConfig.TRUSTED_PROXIES).orElse(LOCALHOST));
    }
    return processSettings.with(local);
  }

  /** Asks the standard health service, over the network as any client would, until the server is SERVING. */
  private static void awaitServing(int port) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      ServingStatus status = HealthGrpc.newBlockingStub(channel).withWaitForReady()
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())
          .getStatus();
      if (status != ServingStatus.SERVING) {
        throw new IllegalStateException("the server on port " + port + " reports " + status);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** Asks the edge's health path over HTTP, as a probe would: it listens once started, so it must answer 200. */
  private static void awaitHealthy(int port) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + TrellisEdge.HEALTH_PATH))
        .timeout(Duration.ofSeconds(30)).build();
    try {
      int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status != 200) {
        throw new IllegalStateException("the edge on port " + port + " answers " + status + " on "
            + TrellisEdge.HEALTH_PATH);
      }
    } catch (IOException e) {
      throw new IllegalStateException("the edge on port " + port + " does not answer: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the edge", e);
    } finally {
      client.close();
    }
  }

  private void printBanner(Duration startup) {
    // Within the lifetime the services accept (TRELLIS_JWT_MAX_TOKEN_LIFETIME), or they would refuse it.
    Duration ttl = running.stream().map(r -> r.runtime().authConfig().maxTokenLifetime())
        .filter(max -> max.compareTo(ADMIN_TOKEN_TTL) < 0).min(Duration::compareTo).orElse(ADMIN_TOKEN_TTL);
    String token = DevTokens.create(AuthConfig.dev(settings.state().devKeyFile()), Clock.systemUTC())
        .mint("1", Set.of(Principal.ADMIN), ttl);
    out.print(Banner.text(READY, startup, settings, services, edges, shards.size(), ports(), token, ttl));
    out.flush();
  }

  private String ports() {
    StringBuilder ports = new StringBuilder();
    for (int i = 0; i < shards.size(); i++) {
      ports.append(i == 0 ? "" : ", ").append(shards.port(i));
    }
    return ports.toString();
  }

  /** Returns when the services have stopped (after {@link #close}). */
  private void awaitStop() throws InterruptedException {
    List<Running> servers;
    synchronized (this) {
      servers = List.copyOf(running);
    }
    for (Running r : servers) {
      r.server().awaitTermination();
    }
  }

  /**
   * Stops the edges, then the services gracefully (the last started first), then the shards. Runs on the JVM's
   * shutdown hook. The terminal gets one line whatever state the shards are in (one killed, say): what the stop
   * meets goes to the log file only.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    TrellisLauncher.logToFileOnly();
    if (!running.isEmpty()) {
      out.print("Stopping Trellis: " + (edges.isEmpty() ? "the services" : "the edge and the services")
          + " drain their calls, then the shards stop... ");
      out.flush();
    }
    for (TrellisEdge.Running edge : runningEdges.reversed()) {
      edge.stopGracefully();
    }
    for (Running r : running.reversed()) {
      r.server().stopGracefully();
      r.runtime().close();
    }
    if (shards != null) {
      List<String> notRunning = new ArrayList<>();
      for (int i = 0; i < shards.size(); i++) {
        if (!shards.isRunning(i)) {
          notRunning.add(ShardTopology.shardName(i));
        }
      }
      shards.close();
      out.println("Trellis stopped." + (notRunning.isEmpty() ? ""
          : " " + String.join(", ", notRunning) + (notRunning.size() == 1 ? " was" : " were") + " not running."));
    } else if (!running.isEmpty()) {
      out.println();
    }
    out.flush();
  }
}
