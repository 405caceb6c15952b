package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.config.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A shard keeps the place it had when first migrated; a reordered list, or one naming shards the bucket directory
 * lacks, stops the migration; a shorter one is a seed.
 */
class ShardClaimIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  private static final String MIGRATIONS = "classpath:db/testdata";

  @Test
  void theSameShardListMigratesAgainAndAChangedOneIsRefused() {
    ShardTopology topology = shards.newDatabase("claim");
    ShardMigrator.migrate(topology, MIGRATIONS);
    assertThatCode(() -> ShardMigrator.migrate(topology, MIGRATIONS)).doesNotThrowAnyException();

    // Fewer shards: a seed. The directory records where shards 3 and 4 are, and a database opens them from there.
    ShardTopology fewer = new ShardTopology(topology.shards().subList(0, 2));
    assertThatCode(() -> ShardMigrator.migrate(fewer, MIGRATIONS)).doesNotThrowAnyException();
    try (ShardedDatabase db = ShardedDatabase.builder(fewer).pool(ShardsExtension.SMALL_POOLS).build()) {
      assertThat(db.shards()).extracting(Shard::index).containsExactly(0, 1, 2, 3);
    }

    // The same URLs in another order: every shard would serve another shard's buckets.
    List<ShardSpec> swapped = new ArrayList<>(topology.shards());
    Collections.swap(swapped, 0, 3);
    assertThatThrownBy(() -> ShardMigrator.migrate(new ShardTopology(swapped), MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TRELLIS_SHARD_URLS")
        .hasMessageNotContaining("jdbc:");
  }

  @Test
  void aRefusedStartLeavesTheNewShardsUnclaimed() {
    ShardTopology four = shards.newDatabase("claim_grown");
    ShardMigrator.migrate(four, MIGRATIONS);
    ShardTopology fresh = shards.newDatabase("claim_fresh");

    // The list grows from 4 to 6 shards: refused, because the directory names 4 (the reshard program registers new
    // shards) ...
    List<ShardSpec> six = new ArrayList<>(four.shards());
    six.add(renamed(fresh.shards().get(0), "shard-4"));
    six.add(renamed(fresh.shards().get(1), "shard-5"));
    assertThatThrownBy(() -> ShardMigrator.migrate(new ShardTopology(six), MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is number 5 of 6 in the shard list now, but the bucket directory names 4 shards");

    // ... and the two new databases were not claimed as numbers 5 and 6 of 6 on the way.
    assertThatCode(() -> ShardMigrator.migrate(fresh, MIGRATIONS)).doesNotThrowAnyException();
  }

  private static ShardSpec renamed(ShardSpec spec, String name) {
    return new ShardSpec(name, spec.jdbcUrl(), spec.user(), spec.password());
  }
}
