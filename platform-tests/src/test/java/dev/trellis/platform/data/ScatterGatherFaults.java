package dev.trellis.platform.data;

import java.util.Comparator;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** A whole-table scatter-gather for fault tests in other packages. */
public final class ScatterGatherFaults {
  private static final Field<Long> ID = DSL.field(DSL.name("id"), SQLDataType.BIGINT);

  private ScatterGatherFaults() {}

  /** Streams the ids of every row of {@code table} (keyed by a bigint {@code id}) from every shard, in order. */
  public static MergedCursor<Long> streamIds(ShardedDatabase db, Table<Record> table) {
    return db.scatterGather().stream(db.shards(),
        (dsl, after) -> dsl.select(ID).from(table).where(after.map(ID::gt).orElse(DSL.noCondition())).orderBy(ID),
        r -> r.value1(), Comparator.naturalOrder(), 0);
  }

  /** Streams every row of {@code table} (keyed by a bigint {@code id}) from every shard and counts them. */
  public static long countAll(ShardedDatabase db, Table<Record> table) {
    try (MergedCursor<Long> cursor = streamIds(db, table)) {
      long n = 0;
      while (cursor.hasNext()) {
        cursor.next();
        n++;
      }
      return n;
    }
  }
}
