package dev.trellis.launcher;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.embedded.EmbeddedShards;
import java.nio.file.Path;

/**
 * What {@code ./trellis up} runs: where its state lives, how many shards, which ports.
 *
 * @param stateDirectory shards, the dev signing key and logs; kept across runs ({@code --state-dir})
 * @param shards embedded PostgreSQL servers ({@code --shards})
 * @param userPort user-service's gRPC port ({@code --user-port})
 */
record LocalMeshSettings(Path stateDirectory, int shards, int userPort) {
  static final String USER_PORT = "TRELLIS_USER_PORT";

  static LocalMeshSettings fromSettings(Settings settings) {
    return new LocalMeshSettings(
        settings.path(EmbeddedShards.STATE_DIR, EmbeddedShards.DEFAULT_STATE_DIR).toAbsolutePath(),
        settings.integer(EmbeddedShards.SHARDS, EmbeddedShards.DEFAULT_SHARDS, 1, 16),
        settings.integer(USER_PORT, 50051, 1, 65535));
  }

  /** The dev key that signs local tokens; {@code ./trellis token} and the running mesh share it. */
  Path devKeyFile() {
    return devKeyFileIn(stateDirectory);
  }

  static Path devKeyFileIn(Path stateDirectory) {
    return stateDirectory.resolve("dev-jwt-key.json");
  }
}
