package dev.trellis.platform.server;

import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * The listening side of a server, read once at start.
 *
 * @param port the TCP port; 0 picks a free one (tests)
 * @param maxInboundMessageBytes the largest request message accepted
 * @param shutdownGrace how long calls in flight may take to finish once shutdown begins; keep it below the
 *     orchestrator's own grace (Kubernetes terminationGracePeriodSeconds) so that the clean ending happens first
 */
public record ServerConfig(int port, int maxInboundMessageBytes, Duration shutdownGrace) {
  public static final String PORT = "TRELLIS_GRPC_PORT";
  public static final String MAX_MESSAGE_BYTES = "TRELLIS_GRPC_MAX_MESSAGE_BYTES";
  public static final String SHUTDOWN_GRACE = "TRELLIS_SHUTDOWN_GRACE";

  public static final int DEFAULT_PORT = 50051;
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(20);

  /** Server keepalive: ping an idle connection every 10 s and drop it when no answer comes within 5 s. */
  public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);
  public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

  public ServerConfig {
    Require.between(PORT, port, 0, 65_535);
    Require.between(MAX_MESSAGE_BYTES, maxInboundMessageBytes, 1024, Integer.MAX_VALUE);
    Require.atLeast(SHUTDOWN_GRACE, shutdownGrace, Duration.ZERO);
  }

  /** Port 50051, 50 MiB messages, 20 s grace. */
  public static ServerConfig defaults() {
    return new ServerConfig(DEFAULT_PORT, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SHUTDOWN_GRACE);
  }

  /** Reads {@value #PORT}, {@value #MAX_MESSAGE_BYTES} and {@value #SHUTDOWN_GRACE}. */
  public static ServerConfig fromSettings(Settings settings) {
    return new ServerConfig(
        settings.integer(PORT, DEFAULT_PORT),
        settings.integer(MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGE_BYTES),
        settings.duration(SHUTDOWN_GRACE, DEFAULT_SHUTDOWN_GRACE));
  }

  public ServerConfig withPort(int port) {
    return new ServerConfig(port, maxInboundMessageBytes, shutdownGrace);
  }

  public ServerConfig withShutdownGrace(Duration shutdownGrace) {
    return new ServerConfig(port, maxInboundMessageBytes, shutdownGrace);
  }
}
