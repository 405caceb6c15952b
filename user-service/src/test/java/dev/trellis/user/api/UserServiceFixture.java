package dev.trellis.user.api;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.TestShards;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.platform.testing.TestTokens;
import dev.trellis.user.UserServiceMain;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * user-service as it runs: built by {@link UserServiceMain#create} from settings, serving over Netty on a free
 * port, on a fresh users database on the shared embedded shards. Several instances may share one database, as
 * replicas do. Callers get stubs carrying tokens of a given identity.
 */
final class UserServiceFixture implements AutoCloseable {
  final ShardTopology topology;
  final TestTokens tokens;
  private final Path keyFile;
  private final List<Instance> instances = new ArrayList<>();

  UserServiceFixture(String name) {
    topology = TestShards.newDatabase(name);
    try {
      keyFile = Files.createTempDirectory("user-service-it").resolve("dev-jwt-key.json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tokens = TestTokens.create(keyFile, Clock.systemUTC());
  }

  /** Starts an instance (a replica) with extra settings; the first call's instance is {@link #first()}. */
  Instance start(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(topology.toSettings());
    env.put("TRELLIS_DEV_MODE", "true");
    env.put("TRELLIS_DEV_KEY_FILE", keyFile.toString());
    env.put("TRELLIS_GRPC_PORT", "0");
    env.put("TRELLIS_SHARD_POOL_SIZE", "4");
    env.put("TRELLIS_SHUTDOWN_GRACE", "5s");
    env.put("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms");
    env.putAll(extra);
    ServiceRuntime runtime = ServiceRuntime.create(
        UserServiceMain.NAME, Settings.of(env), Telemetry.off(), Clock.systemUTC());
    try {
      TrellisServer server = UserServiceMain.create(runtime).start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      Instance instance = new Instance(runtime, server, channel);
      instances.add(instance);
      return instance;
    } catch (IOException e) {
      runtime.close();
      throw new UncheckedIOException(e);
    }
  }

  Instance start() {
    return start(Map.of());
  }

  Instance first() {
    return instances.isEmpty() ? start() : instances.get(0);
  }

  UserServiceGrpc.UserServiceBlockingStub blocking(String token) {
    return first().blocking(token);
  }

  UserServiceGrpc.UserServiceStub async(String token) {
    return first().async(token);
  }

  String admin() {
    return tokens.admin(1);
  }

  @Override
  public void close() {
    instances.forEach(Instance::close);
  }

  /** One running replica. */
  static final class Instance implements AutoCloseable {
    final ServiceRuntime runtime;
    final TrellisServer server;
    final ManagedChannel channel;
    private boolean closed;

    Instance(ServiceRuntime runtime, TrellisServer server, ManagedChannel channel) {
      this.runtime = runtime;
      this.server = server;
      this.channel = channel;
    }

    UserServiceGrpc.UserServiceBlockingStub blocking(String token) {
      return UserServiceGrpc.newBlockingStub(channel).withCallCredentials(TestTokens.bearer(token))
          .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    UserServiceGrpc.UserServiceStub async(String token) {
      return UserServiceGrpc.newStub(channel).withCallCredentials(TestTokens.bearer(token));
    }

    /** Stops as SIGTERM does: gracefully, then the pools and feeds. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      server.stopGracefully();
      runtime.close();
      channel.shutdownNow();
    }
  }
}
