package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real service for a test class, in the manner of Armeria's ServerExtension: the service, found by name through
 * {@link TrellisService} (a test-scope dependency, never imported), built from settings as its main builds it,
 * serving over Netty on a free port in local dev mode, on a fresh database on the shared embedded shards. It starts
 * before the class and stops gracefully after it; callers get channels and stubs carrying dev tokens of any role.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ServiceExtension users = ServiceExtension.of("user-service");
 *
 * @Test void creates() {
 *   var admin = users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1));
 *   ...
 * }
 * }</pre>
 *
 * {@link #replicaOf} declares a second replica on the same database and keys; {@link #startReplica} starts one
 * during a test; {@link #onShards} puts the database on shards a fault test may stop or freeze. {@link #calls} makes
 * a service call another one, as order-service calls user-service (each starts after what it depends on, whatever
 * the order of the fields):
 *
 * <pre>{@code
 * @RegisterExtension static final ServiceExtension users = ServiceExtension.of("user-service");
 * @RegisterExtension static final ServiceExtension orders = ServiceExtension.of("order-service").calls(users);
 * }</pre>
 */
public final class ServiceExtension implements BeforeAllCallback, AfterAllCallback {
  private final String serviceName;
  private final ServiceExtension first;
  private ShardsExtension shards;
  private final Map<String, String> settings = new LinkedHashMap<>();
  private final List<ServiceExtension> dependencies = new ArrayList<>();
  private Supplier<Telemetry> telemetry = Telemetry::off;
  private final List<Replica> replicas = new ArrayList<>();
  private TrellisService service;
  private ShardTopology topology;
  private Path keyFile;
  private TestTokens tokens;
  private Replica main;

  private ServiceExtension(String serviceName, ServiceExtension first) {
    this.serviceName = serviceName;
    this.first = first;
  }

  /** The service called {@code serviceName} ({@link TrellisService#name()}). */
  public static ServiceExtension of(String serviceName) {
    return new ServiceExtension(requireNonNull(serviceName, "serviceName"), null);
  }

  /** Another replica of {@code first}'s service on its database and keys, as replicas share them in a cluster. */
  public static ServiceExtension replicaOf(ServiceExtension first) {
    requireNonNull(first, "first");
    return new ServiceExtension(first.serviceName, first);
  }

  /**
   * The service's database on {@code shards} (shards of the class's own, {@link ShardsExtension#own}, which a fault
   * test stops, starts and freezes) instead of the JVM's shared ones. Register {@code shards} first: extensions
   * start in the order of their fields.
   */
  public ServiceExtension onShards(ShardsExtension shards) {
    this.shards = requireNonNull(shards, "shards");
    return this;
  }

  /** A setting of the service ({@code TRELLIS_...}), over the test defaults; set before the class starts. */
  public ServiceExtension setting(String name, String value) {
    settings.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
    return this;
  }

  /**
   * This service calls {@code dependency} (which then starts first): it shares the dependency's dev key,
   * so that its own service token is accepted there (and {@link #tokens()} of both agree), and its replicas are told
   * where the dependency's first replica listens ({@link TrellisService#targetVariable}).
   */
  public ServiceExtension calls(ServiceExtension dependency) {
    dependencies.add(requireNonNull(dependency, "dependency"));
    return this;
  }

  /**
   * The telemetry of each replica, made as it starts (so it may point at a collector that starts before it) and
   * closed when it stops; none by default.
   */
  public ServiceExtension telemetry(Supplier<Telemetry> telemetry) {
    this.telemetry = requireNonNull(telemetry, "telemetry");
    return this;
  }

  /**
   * Starts the service; first the replica it copies and the services it calls, whatever the order JUnit runs the
   * extensions in (their fields' order is not the one JUnit uses).
   */
  @Override
  public synchronized void beforeAll(ExtensionContext context) throws IOException {
    if (main != null) {
      return; // started already, by a service that calls this one or a replica of it
    }
    if (first != null) {
      first.beforeAll(context);
    }
    for (ServiceExtension dependency : dependencies) {
      dependency.beforeAll(context);
    }
    if (first != null) {
      service = first.service();
      topology = first.topology;
      keyFile = first.keyFile;
      tokens = first.tokens;
    } else {
      service = TrellisService.named(serviceName);
      topology = service.database()
          .map(db -> shards != null ? shards.newDatabase(db.name())
              : SharedShards.newDatabase(SharedShards.get(), db.name()))
          .orElse(null);
      if (dependencies.isEmpty()) {
        keyFile = Files.createTempDirectory("trellis-service-key-").resolve("dev-jwt-key.json");
        tokens = TestTokens.create(keyFile, Clock.systemUTC());
      } else {
        keyFile = dependencies.getFirst().keyFile;
        tokens = dependencies.getFirst().tokens();
      }
    }
    main = startReplica(Map.of());
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    for (Replica replica : replicas.reversed()) {
      replica.close();
    }
    replicas.clear();
    main = null;
  }

  /**
   * Starts one more replica, with {@code extra} settings over the class's; it stops after the class unless the test
   * closes it first (closing is a graceful stop, as on SIGTERM).
   */
  public synchronized Replica startReplica(Map<String, String> extra) {
    Map<String, String> env = environment(extra);
    ServiceRuntime runtime = ServiceRuntime.create(service.name(), Settings.of(env), telemetry.get(),
        Clock.systemUTC());
    TrellisServer server;
    try {
      server = service.create(runtime).start();
    } catch (IOException | RuntimeException e) {
      runtime.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    Replica replica = new Replica(runtime, server, channel);
    replicas.add(replica);
    return replica;
  }

  /**
   * The environment a replica starts with, {@code extra} on top: its database, dev mode and key, a free port, where
   * the services it calls listen, and the class's settings. For a replica in a process of its own.
   */
  public synchronized Map<String, String> environment(Map<String, String> extra) {
    service();
    Map<String, String> env = new HashMap<>();
    if (topology != null) {
      env.putAll(topology.toSettings());
      env.put(ShardPoolSettings.POOL_SIZE, Integer.toString(ShardsExtension.SMALL_POOLS.maxSize()));
    }
    env.put(AuthConfig.DEV_MODE, "true");
    env.put(AuthConfig.DEV_KEY_FILE, keyFile.toString());
    env.put(ServerConfig.PORT, "0");
    env.put(ServerConfig.SHUTDOWN_GRACE, "5s");
    for (ServiceExtension dependency : dependencies) {
      env.put(TrellisService.targetVariable(dependency.serviceName), "127.0.0.1:" + dependency.port());
    }
    env.putAll(settings);
    env.putAll(requireNonNull(extra, "extra"));
    return env;
  }

  /** The service being tested. */
  public synchronized TrellisService service() {
    if (service == null) {
      throw new IllegalStateException(serviceName + " starts before the class: register this with @RegisterExtension"
          + " (a replica after the extension it copies)");
    }
    return service;
  }

  /** Tokens the service accepts: {@code tokens().admin(1)}, {@code user(id)}, {@code service(name)}. */
  public TestTokens tokens() {
    service();
    return tokens;
  }

  /** The service's database on every shard. */
  public ShardTopology topology() {
    service();
    return requireNonNull(topology, () -> serviceName + " keeps no database");
  }

  /** The replica this extension started. */
  public Replica replica() {
    service();
    return main;
  }

  public int port() {
    return replica().port();
  }

  public ManagedChannel channel() {
    return replica().channel();
  }

  /** A stub on this replica sending {@code token}: {@code stub(UserServiceGrpc::newBlockingStub, token)}. */
  public <S extends AbstractStub<S>> S stub(Function<Channel, S> newStub, String token) {
    return replica().stub(newStub, token);
  }

  /**
   * One running replica: its server and runtime, and a plaintext Netty channel to it, shut down when it stops.
   */
  public record Replica(ServiceRuntime runtime, TrellisServer server, ManagedChannel channel) implements AutoCloseable {
    public int port() {
      return server.getPort();
    }

    /** A stub on {@link #channel()} sending {@code token} with every call. */
    public <S extends AbstractStub<S>> S stub(Function<Channel, S> newStub, String token) {
      return newStub.apply(channel).withCallCredentials(TestTokens.bearer(token));
    }

    /** Stops as SIGTERM does: gracefully, then the pools and feeds; then the channel. Again: nothing. */
    @Override
    public synchronized void close() {
      if (server.isShutdown()) {
        return;
      }
      server.stopGracefully();
      runtime.close();
      channel.shutdownNow();
      try {
        channel.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
