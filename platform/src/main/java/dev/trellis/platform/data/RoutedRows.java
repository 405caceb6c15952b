package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.route.BucketDirectory;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * The rows of a shard that a directory version routes to it. While a bucket moves, both shards hold its rows (the
 * target from the first copy on, the source until the grace ends): a read over every shard keeps, on each, only
 * the buckets the directory names it for, so it returns each row once.
 */
public final class RoutedRows {
  private RoutedRows() {}

  /** The rows of {@code shard} whose Trellis id in {@code id} is of a bucket {@code directory} routes to it. */
  public static Condition byId(BucketDirectory directory, int shard, Field<Long> id) {
    requireNonNull(directory, "directory");
    requireNonNull(id, "id");
    Field<Integer> bucket = DSL.function("trellis_bucket_of_id", Integer.class, id);
    Condition routed = DSL.falseCondition();
    for (BucketDirectory.Range range : directory.ranges()) {
      if (range.shard() == shard) {
        routed = routed.or(range.first() == range.last() ? bucket.eq(DSL.inline(range.first()))
            : bucket.between(DSL.inline(range.first()), DSL.inline(range.last())));
      }
    }
    return routed;
  }
}
