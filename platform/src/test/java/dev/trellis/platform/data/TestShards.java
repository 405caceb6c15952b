package dev.trellis.platform.data;

import dev.trellis.platform.data.embedded.EmbeddedShards;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test support, shipped in the platform's test-jar: one set of {@value #SHARDS} embedded PostgreSQL shards per test
 * JVM, started on first use and stopped (its files deleted) when the JVM exits. Each test class takes fresh
 * databases from it, so classes do not see each other's rows and none pays for four server starts.
 */
public final class TestShards {
  public static final int SHARDS = 4;
  private static final AtomicInteger databases = new AtomicInteger();
  private static EmbeddedShards shared;

  private TestShards() {}

  /**
   * The shared shard set; do not stop its shards (use a set of your own for fault tests). EmbeddedShards' shutdown
   * hook stops it and deletes its files when the JVM exits.
   */
  public static synchronized EmbeddedShards shared() {
    if (shared == null) {
      try {
        shared = EmbeddedShards.builder(Files.createTempDirectory("trellis-test-shards-"))
            .shards(SHARDS).durable(false).deleteOnClose(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  /** A shard set of the caller's own, for fault tests that stop shards; its files go when it is closed. */
  public static EmbeddedShards startOwn(int shards) {
    try {
      return EmbeddedShards.builder(Files.createTempDirectory("trellis-own-shards-"))
          .shards(shards).durable(false).deleteOnClose(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new, empty database on every shared shard; its name starts with {@code prefix}. */
  public static ShardTopology newDatabase(String prefix) {
    String name = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_" + databases.incrementAndGet();
    return shared().topology(name);
  }

  /** A new database on every shared shard, migrated with the platform's and the given scripts, and its pools. */
  public static ShardedDatabase migratedDatabase(String prefix, String kind, String... migrationLocations) {
    ShardTopology topology = newDatabase(prefix);
    ShardMigrator.migrate(topology, migrationLocations);
    return ShardedDatabase.builder(topology).kind(kind).pool(smallPools()).build();
  }

  /** Pools small enough that many test databases fit the servers' connection limit. */
  public static ShardPoolSettings smallPools() {
    return new ShardPoolSettings(4, Duration.ofSeconds(2), 64);
  }
}
