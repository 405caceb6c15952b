package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A shard keeps the place it had when first migrated; a changed shard list stops the migration. */
class ShardClaimIT {
  private static final String MIGRATIONS = "classpath:db/testdata";

  @Test
  void theSameShardListMigratesAgainAndAChangedOneIsRefused() {
    ShardTopology topology = TestShards.newDatabase("claim");
    ShardMigrator.migrate(topology, MIGRATIONS);
    assertThatCode(() -> ShardMigrator.migrate(topology, MIGRATIONS)).doesNotThrowAnyException();

    // Fewer shards (./trellis up --shards 2 on a state directory made with 4): shard 2 would take over buckets of
    // shards 3 and 4, whose rows it does not hold.
    ShardTopology fewer = new ShardTopology(topology.shards().subList(0, 2));
    assertThatThrownBy(() -> ShardMigrator.migrate(fewer, MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is number 1 of 2 in the shard list now, but was number 1 of 4");

    // The same URLs in another order: every shard would serve another shard's buckets.
    List<ShardSpec> swapped = new ArrayList<>(topology.shards());
    Collections.swap(swapped, 0, 3);
    assertThatThrownBy(() -> ShardMigrator.migrate(new ShardTopology(swapped), MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TRELLIS_SHARD_URLS")
        .hasMessageNotContaining("jdbc:");
  }
}
