package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.BucketedSchema;
import dev.trellis.testing.ShardsExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The schema test kit fails for a moved table whose bucket predicate no index serves (each move would read it
 * whole), and for a foreign key to a moved table without an index on its columns (each deleted row would check the
 * child table whole), and passes once both have their index.
 */
class BucketedSchemaIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  @Test
  void aMovedTableOrAForeignKeyToOneWithoutAnIndexIsNamedUntilItHasOne() {
    ShardTopology topology = shards.newDatabase("schema_kit");
    ShardMigrator.migrate(topology, "classpath:db/fenceddata"); // accounts: fenced, no bucket index

    BucketedSchema before = BucketedSchema.of(topology);
    assertThat(before.moved()).containsExactly("accounts");
    assertThat(before.scannedWhole()).containsExactly("accounts");

    for (var spec : topology.shards()) {
      ShardsExtension.dsl(spec).execute("CREATE INDEX accounts_bucket_idx ON accounts (trellis_bucket_of_id(id))");
      // A child table whose foreign key has no index: deleting a bucket's accounts would check it per account.
      ShardsExtension.dsl(spec).execute("CREATE TABLE account_notes (id bigint PRIMARY KEY,"
          + " account_id bigint REFERENCES accounts (id))");
    }
    assertThat(BucketedSchema.of(topology).scannedWhole())
        .containsExactly("account_notes (account_id) references accounts");

    for (var spec : topology.shards()) {
      ShardsExtension.dsl(spec).execute("CREATE INDEX account_notes_account_idx ON account_notes (account_id)");
    }
    assertThat(BucketedSchema.of(topology).scannedWhole()).isEmpty();
  }
}
