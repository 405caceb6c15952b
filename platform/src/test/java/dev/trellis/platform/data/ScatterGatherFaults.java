package dev.trellis.platform.data;

import java.util.Comparator;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;

/** A whole-table scatter-gather for fault tests in other packages. */
public final class ScatterGatherFaults {
  private ScatterGatherFaults() {}

  /** Streams every row of {@code table} from every shard and counts them. */
  public static long countAll(ShardedDatabase db, Table<Record> table) {
    try (MergedCursor<Integer> cursor = db.scatterGather().stream(db.shards(),
        dsl -> dsl.selectOne().from(table).orderBy(DSL.one()), r -> 1, Comparator.naturalOrder(), 0)) {
      long n = 0;
      while (cursor.hasNext()) {
        cursor.next();
        n++;
      }
      return n;
    }
  }
}
