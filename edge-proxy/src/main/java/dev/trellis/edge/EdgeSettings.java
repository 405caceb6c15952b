package dev.trellis.edge;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.ratelimit.CidrBlock;
import dev.trellis.platform.ratelimit.RateLimitConfig;
import dev.trellis.platform.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The edge's configuration, read once at start from the environment (or flags), each value checked there.
 *
 * @param port the HTTP port (HTTP/1.1 and h2c); 0 picks a free one (tests)
 * @param upstreams gRPC target per service full name ({@code trellis.user.v1.UserService -> 127.0.0.1:50051})
 * @param descriptors a FileDescriptorSet file to serve instead of the packaged contracts
 * @param maxBodyBytes the largest request body (and, for a client stream, the largest message in it)
 * @param deadline the deadline of a unary or client-streaming call when the caller sends no grpc-timeout
 * @param streamDeadline the deadline of a server-streaming call, and the cap of any grpc-timeout
 * @param maxConnections open client connections at most; more are closed as they arrive
 * @param maxConcurrentStreams HTTP/2 streams per connection (HTTP/1.1 has one request at a time)
 * @param idleTimeout a connection with nothing in flight, or a response the client has not read for this long, is
 *     closed
 * @param corsOrigins origins allowed by CORS ({@code *} for any); empty turns CORS off
 * @param trustedProxies peers whose x-forwarded-for is kept (the edge appends the peer to it)
 * @param shutdownGrace how long requests in flight get once shutdown begins
 */
public record EdgeSettings(int port, Map<String, String> upstreams, Optional<Path> descriptors, int maxBodyBytes,
    Duration deadline, Duration streamDeadline, int maxConnections, int maxConcurrentStreams, Duration idleTimeout,
    List<String> corsOrigins, List<CidrBlock> trustedProxies, Duration shutdownGrace) {
  public static final String PORT = "TRELLIS_EDGE_PORT";
  public static final String UPSTREAMS = "TRELLIS_EDGE_UPSTREAMS";
  public static final String DESCRIPTORS = "TRELLIS_EDGE_DESCRIPTORS";
  public static final String MAX_BODY_BYTES = "TRELLIS_EDGE_MAX_BODY_BYTES";
  public static final String DEADLINE = "TRELLIS_EDGE_DEADLINE";
  public static final String STREAM_DEADLINE = "TRELLIS_EDGE_STREAM_DEADLINE";
  public static final String MAX_CONNECTIONS = "TRELLIS_EDGE_MAX_CONNECTIONS";
  public static final String MAX_CONCURRENT_STREAMS = "TRELLIS_EDGE_MAX_CONCURRENT_STREAMS";
  public static final String IDLE_TIMEOUT = "TRELLIS_EDGE_IDLE_TIMEOUT";
  public static final String CORS_ORIGINS = "TRELLIS_EDGE_CORS_ORIGINS";

  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofHours(1);
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** Every value checked once, here, whether read from settings or built in code; a wrong one names its variable. */
  public EdgeSettings {
    Require.between(PORT, port, 0, 65_535);
    upstreams = Map.copyOf(requireNonNull(upstreams, UPSTREAMS));
    Require.that(!upstreams.isEmpty(), UPSTREAMS + " is required: service=host:port pairs, such as "
        + "trellis.user.v1.UserService=user-service:50051");
    requireNonNull(descriptors, DESCRIPTORS);
    Require.between(MAX_BODY_BYTES, maxBodyBytes, 1024, 512 * 1024 * 1024);
    Require.positive(DEADLINE, deadline);
    Require.positive(STREAM_DEADLINE, streamDeadline);
    Require.between(MAX_CONNECTIONS, maxConnections, 1, 1_000_000);
    Require.between(MAX_CONCURRENT_STREAMS, maxConcurrentStreams, 1, 10_000);
    Require.positive(IDLE_TIMEOUT, idleTimeout);
    corsOrigins = List.copyOf(requireNonNull(corsOrigins, CORS_ORIGINS));
    trustedProxies = List.copyOf(requireNonNull(trustedProxies, RateLimitConfig.TRUSTED_PROXIES));
    Require.atLeast(ServerConfig.SHUTDOWN_GRACE, shutdownGrace, Duration.ZERO);
  }

  /** Reads every {@code TRELLIS_EDGE_*} variable, {@code TRELLIS_TRUSTED_PROXIES} and {@code TRELLIS_SHUTDOWN_GRACE}. */
  public static EdgeSettings fromSettings(Settings settings) {
    return new EdgeSettings(
        settings.integer(PORT, DEFAULT_PORT),
        upstreams(settings),
        settings.optional(DESCRIPTORS).map(Path::of),
        settings.integer(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
        settings.duration(DEADLINE, DEFAULT_DEADLINE),
        settings.duration(STREAM_DEADLINE, DEFAULT_STREAM_DEADLINE),
        settings.integer(MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS),
        settings.integer(MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONCURRENT_STREAMS),
        settings.duration(IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT),
        settings.list(CORS_ORIGINS),
        settings.list(RateLimitConfig.TRUSTED_PROXIES).stream()
            .map(block -> CidrBlock.parse(RateLimitConfig.TRUSTED_PROXIES, block)).toList(),
        settings.duration(ServerConfig.SHUTDOWN_GRACE, ServerConfig.DEFAULT_SHUTDOWN_GRACE));
  }

  /** {@code service=target} pairs, comma-separated: {@code trellis.user.v1.UserService=127.0.0.1:50051,...}. */
  private static Map<String, String> upstreams(Settings settings) {
    Map<String, String> upstreams = new LinkedHashMap<>();
    for (String entry : settings.list(UPSTREAMS)) {
      int eq = entry.indexOf('=');
      String service = eq < 0 ? "" : entry.substring(0, eq).trim();
      String target = eq < 0 ? "" : entry.substring(eq + 1).trim();
      if (service.isEmpty() || target.isEmpty() || !service.matches("[A-Za-z_][\\w.]*")) {
        throw new ConfigException(UPSTREAMS + " takes service=host:port pairs separated by commas, such as "
            + "trellis.user.v1.UserService=user-service:50051; got '" + entry + "'");
      }
      if (upstreams.put(service, target) != null) {
        throw new ConfigException(UPSTREAMS + " names " + service + " twice");
      }
    }
    return upstreams;
  }

  /** The same settings on another port (tests). */
  public EdgeSettings withPort(int port) {
    return new EdgeSettings(port, upstreams, descriptors, maxBodyBytes, deadline, streamDeadline, maxConnections,
        maxConcurrentStreams, idleTimeout, corsOrigins, trustedProxies, shutdownGrace);
  }
}
