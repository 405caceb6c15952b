package dev.trellis.platform.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where a local (dev-mode) process keeps what must survive restarts, and the one place that knows its layout:
 *
 * <pre>
 *   .trellis/                  TRELLIS_STATE_DIR
 *   .trellis/dev-jwt-key.json  the dev signing key (local tokens only)
 *   .trellis/shards/           embedded PostgreSQL shards
 *   .trellis/logs/             the local mesh's log file
 * </pre>
 *
 * Clusters keep no state beside the process: they use external PostgreSQL and keys from Secrets.
 */
public record StateDirectory(Path root) {
  public static final String VARIABLE = "TRELLIS_STATE_DIR";
  public static final Path DEFAULT = Path.of(".trellis");

  public StateDirectory {
    root = requireNonNull(root, "root").toAbsolutePath();
  }

  /** {@code TRELLIS_STATE_DIR}, default {@code .trellis} in the working directory. */
  public static StateDirectory fromSettings(Settings settings) {
    return new StateDirectory(requireNonNull(settings, "settings").path(VARIABLE, DEFAULT));
  }

  public Path devKeyFile() {
    return root.resolve("dev-jwt-key.json");
  }

  public Path shards() {
    return root.resolve("shards");
  }

  public Path logs() {
    return root.resolve("logs");
  }
}
