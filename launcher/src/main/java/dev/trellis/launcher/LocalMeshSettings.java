package dev.trellis.launcher;

import static java.util.Objects.requireNonNull;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.server.TrellisService;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code ./trellis up} runs: where its state lives, how many shards, and each service's port.
 *
 * @param state shards, the dev signing key and logs; kept across runs ({@code --state-dir})
 * @param shards embedded PostgreSQL servers ({@code --shards})
 * @param ports each service's gRPC port, by service name ({@code --user-port} for user-service: see
 *     {@link #portVariable})
 */
record LocalMeshSettings(StateDirectory state, int shards, Map<String, Integer> ports) {
  /** The launcher's own name for the shard count, so that the flag reads {@code --shards}. */
  static final String SHARDS = "TRELLIS_SHARDS";

  LocalMeshSettings {
    requireNonNull(state, "state");
    ports = Map.copyOf(ports);
  }

  /** The mesh of every service on the classpath. */
  static LocalMeshSettings fromSettings(Settings settings) {
    return fromSettings(settings, TrellisService.all());
  }

  static LocalMeshSettings fromSettings(Settings settings, List<TrellisService> services) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    Map<Integer, String> byPort = new HashMap<>();
    for (TrellisService service : services) {
      String variable = portVariable(service);
      int port = settings.integer(variable, service.defaultPort(), 1, 65535);
      String other = byPort.put(port, service.name());
      if (other != null) {
        throw new ConfigException(variable + " must differ from the port of " + other + ": both are " + port);
      }
      ports.put(service.name(), port);
    }
    return new LocalMeshSettings(
        StateDirectory.fromSettings(settings),
        // TRELLIS_EMBEDDED_SHARDS, the older name for it, still counts when the flag is not given.
        settings.integer(SHARDS, settings.integer(EmbeddedShards.SHARDS, EmbeddedShards.DEFAULT_SHARDS, 1, 16), 1, 16),
        ports);
  }

  /**
   * The variable of a service's port in the mesh: its name without "-service", then "_PORT": user-service's is
   * {@code TRELLIS_USER_PORT}, flag {@code --user-port}.
   */
  static String portVariable(TrellisService service) {
    return Settings.variableOf(service.name().replaceFirst("-service$", "") + "-port");
  }

  /** The port of the service called {@code name}. */
  int port(String name) {
    Integer port = ports.get(name);
    if (port == null) {
      throw new IllegalArgumentException("no service named " + name + " in the mesh: " + ports.keySet());
    }
    return port;
  }
}
