package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a service's migrated schema says about buckets: every table of it, and which of them a bucket move carries
 * (fenced on every write) or leaves in place (append-only outboxes, fenced on INSERT). A service's test checks that
 * every table it adds is one or the other, so a new bucketed table cannot be forgotten by the mover, and that a move
 * reads no table whole: every moved table has an index that finds a bucket's rows, and every foreign key to a moved
 * table an index on its referencing columns (deleting a bucket's parent rows checks the child table per row).
 *
 * @param tables every table of the service's schema but the platform's ({@code trellis_*}) and Flyway's history
 * @param scannedWhole the moved tables whose bucket predicate no index serves, and the foreign keys to moved tables
 *     that no index serves ({@link BucketMover#tablesScannedWhole()})
 */
public record BucketedSchema(Set<String> tables, List<String> moved, List<String> outboxes,
    List<String> scannedWhole) {
  /** Reads the schema of shard 0 of a migrated database (every shard has the same tables). */
  public static BucketedSchema of(ShardTopology topology) {
    requireNonNull(topology, "topology");
    try (ShardedDatabase db = ShardedDatabase.builder(topology).pool(ShardsExtension.SMALL_POOLS).build()) {
      List<String> names = db.shard(0).read(dsl -> dsl.fetch("SELECT relname::text FROM pg_class"
          + " WHERE relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace"
          + " AND relname NOT LIKE 'trellis\\_%' AND relname <> 'flyway_schema_history'").getValues(0, String.class));
      BucketMover mover = BucketMover.builder(db).build();
      return new BucketedSchema(new TreeSet<>(names), mover.movedTables(), mover.outboxTables(),
          mover.tablesScannedWhole());
    }
  }

  /** The tables that are neither moved nor an outbox: what a service forgot to fence. */
  public Set<String> undeclared() {
    Set<String> left = new TreeSet<>(tables);
    moved.forEach(left::remove);
    outboxes.forEach(left::remove);
    return left;
  }
}
