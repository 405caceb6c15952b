package dev.trellis.platform.server;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.client.ClientConfig;
import dev.trellis.platform.client.ResilientCalls;
import dev.trellis.platform.client.ServiceChannels;
import dev.trellis.platform.client.ServiceTokenCredentials;
import dev.trellis.platform.client.TokenFileCredentials;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.ratelimit.RateLimitConfig;
import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.CallCredentials;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * What one service process runs on: its settings, read and validated once (server, auth, rate limits, clients),
 * its telemetry and clock. It hands out a server builder and client channels configured alike, so a service's
 * main holds no cross-cutting code of its own.
 */
public final class ServiceRuntime implements AutoCloseable {
  private final String serviceName;
  private final Settings settings;
  private final Telemetry telemetry;
  private final Clock clock;
  private final ServerConfig serverConfig;
  private final AuthConfig authConfig;
  private final RateLimitConfig rateLimitConfig;
  private final ClientConfig clientConfig;
  private final Optional<CallCredentials> credentials;
  private ServiceChannels channels; // guarded by this; opened on first use
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final List<ShardedDatabase> databases = new CopyOnWriteArrayList<>();

  private ServiceRuntime(String serviceName, Settings settings, Telemetry telemetry, Clock clock) {
    this.serviceName = requireNonNull(serviceName, "serviceName");
    this.settings = requireNonNull(settings, "settings");
    this.telemetry = requireNonNull(telemetry, "telemetry");
    this.clock = requireNonNull(clock, "clock");
    this.serverConfig = ServerConfig.fromSettings(settings);
    this.authConfig = AuthConfig.fromSettings(settings);
    this.rateLimitConfig = RateLimitConfig.fromSettings(settings);
    this.clientConfig = ClientConfig.fromSettings(settings);
    this.credentials = ownCredentials();
  }

  /** The runtime of a process: its settings, telemetry from the {@code OTEL_*} variables, the system clock. */
  public static ServiceRuntime create(String serviceName, Settings settings) {
    return new ServiceRuntime(serviceName, settings, Telemetry.fromEnvironment(serviceName), Clock.systemUTC());
  }

  /** A runtime with the given telemetry and clock (tests, several services in one JVM). */
  public static ServiceRuntime create(String serviceName, Settings settings, Telemetry telemetry, Clock clock) {
    return new ServiceRuntime(serviceName, settings, telemetry, clock);
  }

  /**
   * A server builder with this process's configuration and the whole interceptor chain; its health reports the
   * shards of every database given to {@link #closeOnStop} so far.
   */
  public TrellisServer.Builder server() {
    TrellisServer.Builder builder = TrellisServer.builder(serverConfig)
        .telemetry(telemetry)
        .auth(authConfig)
        .rateLimits(rateLimitConfig)
        .clock(clock);
    databases.forEach(builder::reportShards);
    return builder;
  }

  /**
   * Channels to other services, carrying this service's identity, request ids and traces.
   *
   * <p>Call it while building the service (open the channels it needs at start), so that a missing identity stops
   * the start rather than failing the first call that needs it.
   *
   * @throws ConfigException when this service has no identity to call with (a cluster without mesh identity and
   *     without a token file): better at start than UNAUTHENTICATED on every call
   */
  public synchronized ServiceChannels channels() {
    if (channels == null) {
      if (credentials.isEmpty() && !authConfig.mesh()) {
        throw new ConfigException(serviceName + " calls other services, so it needs an identity: set "
            + TokenFileCredentials.VARIABLE + " (a JWT with role service, mounted from a Secret) or "
            + AuthConfig.MESH + "=true (the mesh's mTLS identity)");
      }
      channels = new ServiceChannels(telemetry, credentials);
    }
    return channels;
  }

  /** Failsafe policies for calls to {@code dependency}, as {@link ClientConfig} says. */
  public ResilientCalls resilientCalls(String dependency) {
    return ResilientCalls.builder(dependency).withConfig(clientConfig).build();
  }

  public String serviceName() {
    return serviceName;
  }

  /** The settings, for the service's own configuration records. */
  public Settings settings() {
    return settings;
  }

  public Telemetry telemetry() {
    return telemetry;
  }

  public Clock clock() {
    return clock;
  }

  public AuthConfig authConfig() {
    return authConfig;
  }

  /**
   * Closes {@code resource} when the runtime closes, after the server has stopped (pools, feeds): later resources
   * first, as their opening order suggests. A {@link ShardedDatabase} is also reported, shard by shard, in the
   * health of the servers built afterwards ({@link #server()}): open it first, as a service does anyway.
   */
  public <T extends AutoCloseable> T closeOnStop(T resource) {
    synchronized (resources) {
      resources.push(requireNonNull(resource, "resource"));
    }
    if (resource instanceof ShardedDatabase db) {
      databases.add(db);
    }
    return resource;
  }

  /** Closes what {@link #closeOnStop} was given, then flushes and stops telemetry; call after the server stopped. */
  @Override
  public void close() {
    while (true) {
      AutoCloseable resource;
      synchronized (resources) {
        resource = resources.poll();
      }
      if (resource == null) {
        break;
      }
      try {
        resource.close();
      } catch (Exception e) {
        LoggerFactory.getLogger(ServiceRuntime.class).warn("closing {} failed", resource, e);
      }
    }
    telemetry.close();
  }

  /**
   * What this service attaches to prove who it is on outgoing calls: a token file when configured; nothing in mesh
   * mode, where the sidecar proves it; a dev token locally; nothing either without any of them (see
   * {@link #channels()}).
   */
  private Optional<CallCredentials> ownCredentials() {
    Optional<Path> tokenFile = settings.optional(TokenFileCredentials.VARIABLE).map(Path::of);
    if (tokenFile.isPresent()) {
      return Optional.of(TokenFileCredentials.open(tokenFile.get(), clock));
    }
    if (authConfig.mesh()) {
      return Optional.empty();
    }
    if (authConfig.devMode()) {
      Duration ttl = ServiceTokenCredentials.DEFAULT_TTL.compareTo(authConfig.maxTokenLifetime()) <= 0
          ? ServiceTokenCredentials.DEFAULT_TTL : authConfig.maxTokenLifetime();
      return Optional.of(new ServiceTokenCredentials(DevTokens.create(authConfig, clock), serviceName, ttl, clock));
    }
    return Optional.empty();
  }
}
