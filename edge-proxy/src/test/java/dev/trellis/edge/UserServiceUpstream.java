package dev.trellis.edge;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.TestShards;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.platform.testing.TestTokens;
import dev.trellis.user.UserServiceMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The real user-service (test scope only: the edge's main code imports no service), built by UserServiceMain from
 * settings as its process does, on a fresh database on the shared embedded shards, over Netty on a free port.
 */
final class UserServiceUpstream implements AutoCloseable {
  static final String SERVICE = "trellis.user.v1.UserService";

  final TestTokens tokens;
  private final ServiceRuntime runtime;
  private final TrellisServer server;

  UserServiceUpstream(Map<String, String> extra, Telemetry telemetry) {
    ShardTopology topology = TestShards.newDatabase("edge_users");
    Path keyFile;
    try {
      keyFile = Files.createTempDirectory("edge-it").resolve("dev-jwt-key.json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tokens = TestTokens.create(keyFile, Clock.systemUTC());
    Map<String, String> env = new HashMap<>(topology.toSettings());
    env.put("TRELLIS_DEV_MODE", "true");
    env.put("TRELLIS_DEV_KEY_FILE", keyFile.toString());
    env.put("TRELLIS_GRPC_PORT", "0");
    env.put("TRELLIS_SHARD_POOL_SIZE", "4");
    env.put("TRELLIS_SHUTDOWN_GRACE", "5s");
    env.put("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms");
    env.putAll(extra);
    runtime = ServiceRuntime.create(UserServiceMain.NAME, Settings.of(env), telemetry, Clock.systemUTC());
    try {
      server = UserServiceMain.create(runtime).start();
    } catch (IOException e) {
      runtime.close();
      throw new UncheckedIOException(e);
    }
  }

  UserServiceUpstream() {
    this(Map.of(), Telemetry.off());
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  String admin() {
    return "Bearer " + tokens.admin(1);
  }

  String user(long id) {
    return "Bearer " + tokens.user(id);
  }

  @Override
  public void close() {
    server.stopGracefully();
    runtime.close();
  }
}
