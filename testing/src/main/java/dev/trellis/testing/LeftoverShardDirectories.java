package dev.trellis.testing;

import dev.trellis.embedded.EmbeddedShards;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded shards' directories of earlier test JVMs that were killed (a surefire timeout, Ctrl-C) before they
 * could delete them: gigabytes each, and their PostgreSQL servers still running. A test JVM deletes those no live
 * process holds once, before it makes its own ({@link EmbeddedShards#deleteIfAbandoned} says which).
 */
final class LeftoverShardDirectories {
  /** The prefixes of the kit's shard directories under the temporary directory. */
  static final List<String> PREFIXES = List.of("trellis-test-shards-", "trellis-own-shards-");
  /** Younger directories are kept: their owner may have made one a moment ago and not locked it yet. */
  static final Duration MIN_AGE = Duration.ofMinutes(1);
  private static final Logger log = LoggerFactory.getLogger(LeftoverShardDirectories.class);
  private static boolean swept;

  private LeftoverShardDirectories() {}

  /** Deletes the abandoned directories under java.io.tmpdir, the first time a test JVM asks. */
  static synchronized void deleteOnce() {
    if (!swept) {
      swept = true;
      int deleted = deleteAbandoned(Path.of(System.getProperty("java.io.tmpdir")));
      if (deleted > 0) {
        log.info("deleted {} shard directories left by killed test runs", deleted);
      }
    }
  }

  /** Deletes the abandoned shard directories in {@code parent}; returns how many went. */
  static int deleteAbandoned(Path parent) {
    List<Path> candidates;
    try (Stream<Path> entries = Files.list(parent)) {
      candidates = entries.filter(LeftoverShardDirectories::isShardDirectory).toList();
    } catch (IOException e) {
      log.warn("cannot list {}: {}", parent, e.toString());
      return 0;
    }
    int deleted = 0;
    for (Path dir : candidates) {
      if (EmbeddedShards.deleteIfAbandoned(dir, MIN_AGE)) {
        deleted++;
      }
    }
    return deleted;
  }

  private static boolean isShardDirectory(Path path) {
    String name = path.getFileName().toString();
    return Files.isDirectory(path) && PREFIXES.stream().anyMatch(name::startsWith);
  }
}
