package dev.trellis.testing;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.data.ShardTopology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One set of {@value #SHARDS} embedded PostgreSQL shards per test JVM, started on first use and stopped (its files
 * deleted) when the JVM exits. Test classes take fresh databases from it, so classes do not see each other's rows
 * and none pays for four server starts.
 */
final class SharedShards {
  static final int SHARDS = 4;
  private static final AtomicInteger databases = new AtomicInteger();
  private static EmbeddedShards shared;

  private SharedShards() {}

  /** The shared set; nobody may stop its shards (a test that does takes shards of its own). */
  static synchronized EmbeddedShards get() {
    if (shared == null) {
      LeftoverShardDirectories.deleteOnce();
      try {
        shared = EmbeddedShards.builder(Files.createTempDirectory("trellis-test-shards-"))
            .shards(SHARDS).durable(false).deleteOnClose(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  /** A new, empty database on every shard of {@code shards}; its name starts with {@code prefix}. */
  static ShardTopology newDatabase(EmbeddedShards shards, String prefix) {
    String name = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_" + databases.incrementAndGet();
    return shards.topology(name);
  }
}
