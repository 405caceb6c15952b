package dev.trellis.platform.server;

import dev.trellis.platform.config.Settings;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * An HTTP edge in front of the services (edge-proxy: REST and gRPC-Web), started by name so that nothing has to
 * import it, as {@link TrellisService} does for services: the local mesh finds it through {@link ServiceLoader} and
 * starts it once the services serve, pointed at their ports. An edge registers its implementation in
 * {@code META-INF/services/dev.trellis.platform.server.TrellisEdge}.
 */
public interface TrellisEdge {
  /** Every edge answers GET here with 200 while it serves and 503 once it drains (probes, the mesh's start). */
  String HEALTH_PATH = "/healthz";

  /** Its name: the logs', and how tools ask for it. */
  String name();

  /** Its HTTP port unless told otherwise, and its port in the local mesh. */
  int defaultPort();

  /**
   * Starts the edge and returns once it listens: HTTP on {@code port}, forwarding each gRPC service to its target
   * in {@code upstreams} (by the service's full name: {@code trellis.user.v1.UserService -> 127.0.0.1:50051}), the
   * rest of its configuration from {@code settings}.
   *
   * @throws dev.trellis.platform.config.ConfigException when a setting is wrong
   * @throws IOException when it cannot listen on the port
   */
  Running start(Settings settings, int port, Map<String, String> upstreams) throws IOException;

  /** A started edge. */
  interface Running {
    /** The port it listens on. */
    int port();

    /**
     * Stops as a service's server does (health 503, no new requests, the grace period for the ones in flight) and
     * releases what it holds; returns when it has stopped.
     */
    void stopGracefully();
  }

  /** Every edge on the classpath, by port. */
  static List<TrellisEdge> all() {
    return ServiceLoader.load(TrellisEdge.class).stream()
        .map(ServiceLoader.Provider::get)
        .sorted(Comparator.comparingInt(TrellisEdge::defaultPort))
        .toList();
  }
}
