package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.BucketedSchema;
import dev.trellis.testing.ShardsExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The schema test kit fails for a moved table whose bucket predicate no index serves (each move would read it
 * whole), and passes once the table has an expression index on its fence's bucket expression.
 */
class BucketedSchemaIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  @Test
  void aMovedTableWithoutAnIndexOnItsBucketIsNamedUntilItHasOne() {
    ShardTopology topology = shards.newDatabase("schema_kit");
    ShardMigrator.migrate(topology, "classpath:db/fenceddata"); // accounts: fenced, no bucket index

    BucketedSchema before = BucketedSchema.of(topology);
    assertThat(before.moved()).containsExactly("accounts");
    assertThat(before.scannedWhole()).containsExactly("accounts");

    for (var spec : topology.shards()) {
      ShardsExtension.dsl(spec).execute("CREATE INDEX accounts_bucket_idx ON accounts (trellis_bucket_of_id(id))");
    }
    assertThat(BucketedSchema.of(topology).scannedWhole()).isEmpty();
  }
}
