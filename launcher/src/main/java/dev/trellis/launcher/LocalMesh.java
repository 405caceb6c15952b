package dev.trellis.launcher;

import dev.trellis.edge.EdgeServer;
import dev.trellis.edge.EdgeSettings;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.embedded.EmbeddedShards;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.proto.TrellisDescriptors;
import dev.trellis.user.UserServiceMain;
import dev.trellis.user.store.UserShards;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The whole mesh in one JVM for local development: embedded PostgreSQL shards under the state directory, then
 * every service on its port, in dev mode (HS256 dev tokens, plaintext gRPC), each checked SERVING through the
 * standard health service before the endpoints are printed. Ctrl-C (SIGINT) or SIGTERM stops the services
 * gracefully, then the shards. Running it again on the same state directory keeps the data.
 */
final class LocalMesh implements AutoCloseable {
  static final String READY = "Trellis is up";
  private static final Duration ADMIN_TOKEN_TTL = Duration.ofHours(12);
  private static final Logger log = LoggerFactory.getLogger(LocalMesh.class);

  private final LocalMeshSettings settings;
  private final PrintStream out;
  // Written by start() and read by close() on the shutdown hook's thread: both hold the lock.
  private EmbeddedShards shards;
  private ServiceRuntime userRuntime;
  private TrellisServer userService;
  private Telemetry edgeTelemetry;
  private EdgeServer edge;
  private boolean closed;

  private LocalMesh(LocalMeshSettings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Starts the mesh, prints how to use it, and serves until the process is told to stop. */
  static void run(LocalMeshSettings settings, Settings processSettings) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    long started = System.nanoTime();
    LocalMesh mesh = new LocalMesh(settings, System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(mesh::close, "trellis-up-shutdown"));
    try {
      mesh.start(processSettings);
    } catch (ConfigException e) {
      TrellisLauncher.fail(e.getMessage(), TrellisLauncher.CONFIG_ERROR); // says all there is: no stack trace
    } catch (RuntimeException e) {
      log.error("the local mesh failed to start", e);
      TrellisLauncher.fail("the local mesh failed to start: " + e.getMessage()
          + " (details in " + settings.state().logs() + ")", TrellisLauncher.FAILED);
    }
    mesh.printBanner(Duration.ofNanos(System.nanoTime() - started));
    try {
      mesh.awaitStop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts the shards, then the services. Holds the lock throughout: a Ctrl-C meanwhile waits for the start to end,
   * then stops whatever it started.
   */
  private synchronized void start(Settings processSettings) {
    if (closed) {
      throw new IllegalStateException("stopped before it started");
    }
    out.println("Starting Trellis in LOCAL DEV MODE: embedded PostgreSQL, dev-signed tokens, plaintext gRPC."
        + " Nothing here is a cluster default.");
    shards = EmbeddedShards.builder(settings.state().shards())
        .shards(settings.shards())
        .closeOnJvmExit(false) // this mesh stops its services first, then the shards
        .start();
    ShardTopology users = shards.topology(UserShards.DATABASE);
    userRuntime = ServiceRuntime.create(UserServiceMain.NAME, serviceSettings(processSettings, users,
        settings.userPort()));
    userService = UserServiceMain.create(userRuntime);
    try {
      userService.start();
    } catch (IOException e) {
      throw new IllegalStateException("user-service cannot listen on port " + settings.userPort()
          + " (taken? choose another with --user-port)", e);
    }
    awaitServing(settings.userPort(), "trellis.user.v1.UserService");
    startEdge(processSettings);
  }

  /** edge-proxy: REST and gRPC-Web on the HTTP port, in front of the services started above. */
  private void startEdge(Settings processSettings) {
    Settings edgeSettings = processSettings.with(Map.of(
        EdgeSettings.PORT, Integer.toString(settings.edgePort()),
        EdgeSettings.UPSTREAMS, "trellis.user.v1.UserService=127.0.0.1:" + settings.userPort()));
    edgeTelemetry = Telemetry.fromEnvironment(EdgeServer.NAME);
    try {
      edge = EdgeServer.create(EdgeSettings.fromSettings(edgeSettings), TrellisDescriptors.load(), edgeTelemetry)
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("edge-proxy cannot listen on port " + settings.edgePort()
          + " (taken? choose another with --edge-port)", e);
    }
  }

  /** A service's settings: the process environment, then dev mode, its port and its shards. */
  private Settings serviceSettings(Settings processSettings, ShardTopology topology, int port) {
    Map<String, String> local = new HashMap<>(topology.toSettings());
    local.put(AuthConfig.DEV_MODE, "true");
    local.put(AuthConfig.DEV_KEY_FILE, settings.state().devKeyFile().toString());
    local.put("TRELLIS_GRPC_PORT", Integer.toString(port));
    // The edge forwards each caller's address; the services' per-address limit believes it from localhost.
    local.putIfAbsent("TRELLIS_TRUSTED_PROXIES", processSettings.optional("TRELLIS_TRUSTED_PROXIES")
        .orElse("127.0.0.1/32"));
    return processSettings.with(local);
  }

  /** Asks the standard health service, over the network as any client would, until the service is SERVING. */
  private static void awaitServing(int port, String service) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      ServingStatus status = HealthGrpc.newBlockingStub(channel).withWaitForReady()
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
      if (status != ServingStatus.SERVING) {
        throw new IllegalStateException(service + " reports " + status);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  private void printBanner(Duration startup) {
    String token = DevTokens.create(AuthConfig.dev(settings.state().devKeyFile()), Clock.systemUTC())
        .mint("1", Set.of(Principal.ADMIN), ADMIN_TOKEN_TTL);
    String user = "127.0.0.1:" + settings.userPort();
    String edgeUrl = "http://127.0.0.1:" + settings.edgePort();
    String curl = "npx buf curl --protocol grpc --http2-prior-knowledge -H \"Authorization: Bearer $TOKEN\"";
    String grpcurl = "grpcurl -plaintext -H \"authorization: Bearer $TOKEN\"";
    out.printf("""

        %s in %.1f s (state in %s, logs in %s)

          user-service   %s   gRPC with reflection and grpc.health.v1
          edge-proxy     %s   REST (JSON, NDJSON streams) and gRPC-Web; API at %s/openapi.json
          shards         %d embedded PostgreSQL servers on localhost ports %s

        An admin token (valid %d h; more with ./trellis token --sub ID --role user|admin|service):
          export TOKEN=%s

        Try it (buf curl stands in for grpcurl; both read the API through server reflection):
          npx buf curl --protocol grpc --http2-prior-knowledge --list-services http://%s
          %s -d '{"email":"ada@example.com","name":"Ada Lovelace"}' http://%s/trellis.user.v1.UserService/CreateUser
          %s -d '{"id":"<id from above>"}' http://%s/trellis.user.v1.UserService/GetUser
          %s -d '{"page_size":10}' http://%s/trellis.user.v1.UserService/ListUsers
          %s -d '{"email":"grace@example.com","name":"Grace Hopper"}' %s trellis.user.v1.UserService/CreateUser

        REST through the edge (curl, or any HTTP client):
          curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"email":"alan@example.com","name":"Alan Turing"}' %s/v1/users
          curl -s -H "Authorization: Bearer $TOKEN" %s/v1/users/<id from above>
          curl -sN -H "Authorization: Bearer $TOKEN" '%s/v1/users?page_size=10'

        Ctrl-C stops everything; the data stays for the next ./trellis up.
        """,
        READY, startup.toMillis() / 1000.0, settings.state().root(), settings.state().logs(),
        user, edgeUrl, edgeUrl, shards.size(), ports(), ADMIN_TOKEN_TTL.toHours(), token,
        user, curl, user, curl, user, curl, user, grpcurl, user, edgeUrl, edgeUrl, edgeUrl);
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
    TrellisServer server;
    synchronized (this) {
      server = userService;
    }
    if (server != null) {
      server.awaitTermination();
    }
  }

  /** Stops the services gracefully, then the shards. Runs on the JVM's shutdown hook. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (edge != null) {
      edge.stopGracefully();
      edgeTelemetry.close();
    }
    if (userService != null) {
      out.println("Stopping Trellis: the edge and user-service drain their calls, then the shards stop.");
      userService.stopGracefully();
    }
    if (userRuntime != null) {
      userRuntime.close();
    }
    if (shards != null) {
      shards.close();
      out.println("Trellis stopped.");
    }
    out.flush();
  }
}
