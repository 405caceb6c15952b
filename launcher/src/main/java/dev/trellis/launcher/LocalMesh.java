package dev.trellis.launcher;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.embedded.EmbeddedShards;
import dev.trellis.order.OrderServiceMain;
import dev.trellis.order.OrderServiceSettings;
import dev.trellis.order.store.OrderShards;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
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
  private ServiceRuntime orderRuntime;
  private TrellisServer orderService;
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

    // order-service reaches user-service over the network, as in a cluster.
    orderRuntime = ServiceRuntime.create(OrderServiceMain.NAME, serviceSettings(processSettings,
        shards.topology(OrderShards.DATABASE), settings.orderPort())
        .with(Map.of(OrderServiceSettings.USER_SERVICE, "127.0.0.1:" + settings.userPort())));
    orderService = OrderServiceMain.create(orderRuntime);
    try {
      orderService.start();
    } catch (IOException e) {
      throw new IllegalStateException("order-service cannot listen on port " + settings.orderPort()
          + " (taken? choose another with --order-port)", e);
    }
    awaitServing(settings.orderPort(), "trellis.order.v1.OrderService");
    int seeded = DemoCatalog.seed(settings.orderPort(), adminToken());
    if (seeded > 0) {
      log.info("seeded the demo catalog: {} SKUs", seeded);
    }
  }

  /** A service's settings: the process environment, then dev mode, its port and its shards. */
  private Settings serviceSettings(Settings processSettings, ShardTopology topology, int port) {
    Map<String, String> local = new HashMap<>(topology.toSettings());
    local.put(AuthConfig.DEV_MODE, "true");
    local.put(AuthConfig.DEV_KEY_FILE, settings.state().devKeyFile().toString());
    local.put("TRELLIS_GRPC_PORT", Integer.toString(port));
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

  private String adminToken() {
    return DevTokens.create(AuthConfig.dev(settings.state().devKeyFile()), Clock.systemUTC())
        .mint("1", Set.of(Principal.ADMIN), ADMIN_TOKEN_TTL);
  }

  private void printBanner(Duration startup) {
    String token = adminToken();
    String user = "127.0.0.1:" + settings.userPort();
    String order = "127.0.0.1:" + settings.orderPort();
    String curl = "npx buf curl --protocol grpc --http2-prior-knowledge -H \"Authorization: Bearer $TOKEN\"";
    String grpcurl = "grpcurl -plaintext -H \"authorization: Bearer $TOKEN\"";
    out.printf("""

        %s in %.1f s (state in %s, logs in %s)

          user-service   %s   gRPC with reflection and grpc.health.v1
          order-service  %s   orders as sagas; InventoryService; demo catalog: %s
          shards         %d embedded PostgreSQL servers on localhost ports %s

        An admin token (valid %d h; more with ./trellis token --sub ID --role user|admin|service):
          export TOKEN=%s

        Try it (buf curl stands in for grpcurl; both read the API through server reflection):
          npx buf curl --protocol grpc --http2-prior-knowledge --list-services http://%s
          %s -d '{"email":"ada@example.com","name":"Ada Lovelace"}' http://%s/trellis.user.v1.UserService/CreateUser
          %s -d '{"id":"<id from above>"}' http://%s/trellis.user.v1.UserService/GetUser
          %s -d '{"page_size":10}' http://%s/trellis.user.v1.UserService/ListUsers
          %s -d '{"email":"grace@example.com","name":"Grace Hopper"}' %s trellis.user.v1.UserService/CreateUser

        Place an order for that user, then watch it (payment tok_visa is charged; tok_decline, tok_flaky and
        tok_timeout act as their names say; the carrier refuses country XX; watching ends once the order is
        cancelled or rejected, Ctrl-C stops it before):
          %s -d '{"user_id":"<id from CreateUser>","items":[{"sku":"mug-classic","quantity":2}],\
        "payment_token":"tok_visa","shipping_address":{"recipient":"Ada Lovelace","line1":"12 St James Square",\
        "city":"London","country_code":"GB"},"request_id":"demo-order-1"}' \
        http://%s/trellis.order.v1.OrderService/CreateOrder
          %s -d '{"id":"<order id from above>"}' http://%s/trellis.order.v1.OrderService/WatchOrder
          %s -d '{"sku":"mug-classic"}' http://%s/trellis.order.v1.InventoryService/GetStock

        Ctrl-C stops everything; the data stays for the next ./trellis up.
        """,
        READY, startup.toMillis() / 1000.0, settings.state().root(), settings.state().logs(),
        user, order, DemoCatalog.describe(), shards.size(), ports(), ADMIN_TOKEN_TTL.toHours(), token,
        user, curl, user, curl, user, curl, user, grpcurl, user, curl, order, curl, order, curl, order);
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
    TrellisServer users;
    TrellisServer orders;
    synchronized (this) {
      users = userService;
      orders = orderService;
    }
    if (orders != null) {
      orders.awaitTermination();
    }
    if (users != null) {
      users.awaitTermination();
    }
  }

  /** Stops the services gracefully, then the shards. Runs on the JVM's shutdown hook. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // order-service first: its sagas may still call user-service while they drain.
    if (orderService != null) {
      out.println("Stopping Trellis: order-service and user-service drain their calls, then the shards stop.");
      orderService.stopGracefully();
    }
    if (orderRuntime != null) {
      orderRuntime.close();
    }
    if (userService != null) {
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
