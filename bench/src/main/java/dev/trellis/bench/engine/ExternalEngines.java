package dev.trellis.bench.engine;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the external load engines on the PATH, and says in one line how to install the missing ones. */
public final class ExternalEngines {
  /** The Debian packages of every engine the bench can drive. */
  public static final String INSTALL = "apt-get install nghttp2-client wrk postgresql-client";

  private static final Map<String, String> PACKAGES = Map.of(
      H2loadLoad.BINARY, "nghttp2-client",
      PgbenchLoad.BINARY, "postgresql-client",
      "wrk", "wrk");

  private ExternalEngines() {}

  /** Where {@code binary} is on the PATH, if anywhere. */
  public static Optional<Path> find(String binary) {
    String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, binary);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The ones of {@code binaries} that are not installed. */
  public static List<String> missing(List<String> binaries) {
    return binaries.stream().distinct().filter(b -> find(b).isEmpty()).toList();
  }

  /** The one-line message for missing engines: what is missing, from which package, and the install command. */
  public static String missingMessage(List<String> missing) {
    return String.join(", ", missing.stream().map(b -> b + " (Debian " + PACKAGES.getOrDefault(b, b) + ")")
        .toList()) + " not found on the PATH; install the load engines with: " + INSTALL;
  }
}
