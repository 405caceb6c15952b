package dev.trellis.bench;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardTopology;
import java.nio.file.Files;
import java.time.Duration;

/**
 * One embedded shard with four tables of 10 000 rows for pgbench to update (bench/README.md, "the fence's cost"):
 * {@code plain} (no fence), {@code old} (the fence before per-table functions: to_jsonb of the row), {@code generic}
 * (trellis_bucket_fence) and {@code own} (a function of its own, from trellis_fence_table). Prints the port, then
 * serves for the given number of seconds:
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.FenceCostDatabase 300
 * </pre>
 */
public final class FenceCostDatabase {
  private FenceCostDatabase() {}

  public static void main(String[] args) throws Exception {
    long seconds = args.length > 0 ? Long.parseLong(args[0]) : 300;
    try (EmbeddedShards shards = EmbeddedShards.builder(Files.createTempDirectory("trellis-fence-cost-"))
        .shards(1).durable(false).deleteOnClose(true).start()) {
      ShardTopology topology = shards.topology("fence");
      ShardMigrator.migrate(topology, "classpath:fence-cost");
      System.out.println("port " + shards.port(0) + " database fence user " + topology.shards().get(0).user());
      System.out.flush();
      Thread.sleep(Duration.ofSeconds(seconds));
    }
  }
}
