package dev.trellis.launcher;

import static java.util.Objects.requireNonNull;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.server.TrellisEdge;
import dev.trellis.platform.server.TrellisService;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code ./trellis up} runs: where its state lives, how many shards, and the port of each service and edge.
 *
 * @param state shards, the dev signing key and logs; kept across runs ({@code --state-dir})
 * @param shards embedded PostgreSQL servers ({@code --shards})
 * @param ports each service's gRPC port and each edge's HTTP port, by name ({@code --user-port} for user-service,
 *     {@code --edge-port} for edge-proxy: see {@link #portVariable})
 */
record LocalMeshSettings(StateDirectory state, int shards, Map<String, Integer> ports) {
  /** The launcher's own name for the shard count, so that the flag reads {@code --shards}. */
  static final String SHARDS = "TRELLIS_SHARDS";

  LocalMeshSettings {
    requireNonNull(state, "state");
    ports = Map.copyOf(ports);
  }

  /** The mesh of every service and edge on the classpath. */
  static LocalMeshSettings fromSettings(Settings settings) {
    return fromSettings(settings, TrellisService.all(), TrellisEdge.all());
  }

  static LocalMeshSettings fromSettings(Settings settings, List<TrellisService> services, List<TrellisEdge> edges) {
    Map<String, Integer> defaults = new LinkedHashMap<>();
    services.forEach(service -> defaults.put(service.name(), service.defaultPort()));
    edges.forEach(edge -> defaults.put(edge.name(), edge.defaultPort()));
    Map<String, Integer> ports = new LinkedHashMap<>();
    Map<Integer, String> byPort = new HashMap<>();
    defaults.forEach((name, defaultPort) -> {
      String variable = portVariable(name);
      int port = settings.integer(variable, defaultPort, 1, 65535);
      String other = byPort.put(port, name);
      if (other != null) {
        throw new ConfigException(variable + " must differ from the port of " + other + ": both are " + port);
      }
      ports.put(name, port);
    });
    StateDirectory state = StateDirectory.fromSettings(settings);
    // A resharded state directory starts with the shards that serve now; a fresh one with the default.
    int byDefault = EmbeddedShards.servingCount(state.shards()).orElse(EmbeddedShards.DEFAULT_SHARDS);
    return new LocalMeshSettings(
        state,
        // TRELLIS_EMBEDDED_SHARDS, the older name for it, still counts when the flag is not given.
        settings.integer(SHARDS, settings.integer(EmbeddedShards.SHARDS, byDefault, 1, 16), 1, 16),
        ports);
  }

  /**
   * The variable of a port in the mesh: the name without "-service" (or an edge's "-proxy"), then "_PORT":
   * user-service's is {@code TRELLIS_USER_PORT} (flag {@code --user-port}), edge-proxy's {@code TRELLIS_EDGE_PORT}
   * (the edge's own variable for its port, flag {@code --edge-port}).
   */
  static String portVariable(String name) {
    return Settings.variableOf(name.replaceFirst("-(service|proxy)$", "") + "-port");
  }

  /** The flag of that variable: {@code --user-port}. */
  static String portFlag(String name) {
    return "--" + portVariable(name).substring("TRELLIS_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The port of the service or edge called {@code name}. */
  int port(String name) {
    Integer port = ports.get(name);
    if (port == null) {
      throw new IllegalArgumentException("nothing named " + name + " in the mesh: " + ports.keySet());
    }
    return port;
  }
}
