package dev.trellis.bench;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.order.OrderService;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.user.UserService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The server side of {@link OrderServiceLoad}, in a JVM of its own: 4 embedded PostgreSQL shards, user-service and
 * order-service as they run (their mains, the whole chain, Netty on loopback; order-service calls user-service over
 * the network), in dev mode with every rate limit raised so none refuses a call. Writes
 * {@code <user port> <order port>} to the file named by its first argument once both serve, and stops when its
 * standard input closes (the load client ended or died).
 *
 * <p>Arguments: {@code <ready file> <state dir> <durable true|false>}. The process's {@code TRELLIS_*} variables
 * reach both services (for example {@code TRELLIS_LOG_LEVEL=warn}).
 */
public final class OrderBenchServer {
  private OrderBenchServer() {}

  public static void main(String[] args) throws Exception {
    Path ready = Path.of(args[0]);
    Path state = Path.of(args[1]);
    boolean durable = Boolean.parseBoolean(args[2]);
    try (EmbeddedShards shards = EmbeddedShards.builder(state.resolve("shards")).shards(4).durable(durable)
        .deleteOnClose(true).start()) {
      Map<String, String> common = new HashMap<>(Map.of(
          "TRELLIS_DEV_MODE", "true",
          "TRELLIS_DEV_KEY_FILE", state.resolve("dev-jwt-key.json").toString(),
          "TRELLIS_GRPC_PORT", "0",
          "TRELLIS_RATE_LIMIT_PEER", "10000000/10000000",
          "TRELLIS_RATE_LIMIT_USER", "10000000/10000000",
          "TRELLIS_RATE_LIMIT_ADMIN", "10000000/10000000",
          "TRELLIS_RATE_LIMIT_SERVICE", "10000000/10000000"));
      Service users = start(new UserService(), shards, common, Map.of());
      Service orders = start(new OrderService(), shards, common,
          Map.of(TrellisService.targetVariable(UserService.NAME), "127.0.0.1:" + users.server().getPort()));
      Files.writeString(ready, users.server().getPort() + " " + orders.server().getPort(), StandardCharsets.UTF_8);
      while (System.in.read() >= 0) {
        // The load client holds our stdin open for as long as it wants us.
      }
      orders.stop();
      users.stop();
    }
    System.exit(0);
  }

  private static Service start(TrellisService service, EmbeddedShards shards, Map<String, String> common,
      Map<String, String> own) throws IOException {
    Map<String, String> env = new HashMap<>(common);
    ShardTopology topology = shards.topology(service.database().orElseThrow().name());
    env.putAll(topology.toSettings());
    env.putAll(own);
    Settings settings = Settings.of(System.getenv()).with(env);
    ServiceRuntime runtime = ServiceRuntime.create(service.name(), settings, Telemetry.off(), Clock.systemUTC());
    return new Service(runtime, service.create(runtime).start());
  }

  private record Service(ServiceRuntime runtime, TrellisServer server) {
    void stop() {
      server.stopGracefully();
      runtime.close();
    }
  }
}
