package dev.trellis.launcher;

import dev.trellis.edge.EdgeSettings;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.data.embedded.EmbeddedShards;

/**
 * What {@code ./trellis up} runs: where its state lives, how many shards, which ports.
 *
 * @param state shards, the dev signing key and logs; kept across runs ({@code --state-dir})
 * @param shards embedded PostgreSQL servers ({@code --shards})
 * @param userPort user-service's gRPC port ({@code --user-port})
 * @param edgePort edge-proxy's HTTP port ({@code --edge-port}, the edge's own {@code TRELLIS_EDGE_PORT})
 */
record LocalMeshSettings(StateDirectory state, int shards, int userPort, int edgePort) {
  /** The launcher's own name for the shard count, so that the flag reads {@code --shards}. */
  static final String SHARDS = "TRELLIS_SHARDS";
  static final String USER_PORT = "TRELLIS_USER_PORT";

  static LocalMeshSettings fromSettings(Settings settings) {
    return new LocalMeshSettings(
        StateDirectory.fromSettings(settings),
        // TRELLIS_EMBEDDED_SHARDS, the services' own name for it, still counts when the flag is not given.
        settings.integer(SHARDS, settings.integer(EmbeddedShards.SHARDS, EmbeddedShards.DEFAULT_SHARDS, 1, 16), 1, 16),
        settings.integer(USER_PORT, 50051, 1, 65535),
        settings.integer(EdgeSettings.PORT, EdgeSettings.DEFAULT_PORT, 1, 65535));
  }
}
