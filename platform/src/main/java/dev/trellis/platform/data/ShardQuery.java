package dev.trellis.platform.data;

import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SelectLimitStep;

/**
 * The ordered query of one shard in a {@link ScatterGather}, built anew for each batch of that shard.
 *
 * <p>A shard is read in keyset batches: each batch is one short query, and the next one continues after the last
 * value seen on that shard. The query must therefore:
 * <ul>
 *   <li>order its rows the way the stream's {@code order} orders their values, strictly: no two rows of one shard
 *       may compare equal (order by a unique key, or end the ORDER BY with one), or the continuation would skip or
 *       repeat them;
 *   <li>when {@code after} is present, return only the rows that come after it in that order, for example
 *       {@code USERS.ID.gt(last.id())} for rows ordered by {@code USERS.ID}. This continuation condition must agree
 *       with the ORDER BY and the comparator: a shard whose rows do not come strictly after the last one seen fails
 *       the stream with an {@link IllegalStateException} rather than loop or repeat rows.
 * </ul>
 * It has no LIMIT: the scatter-gather adds one per batch.
 *
 * <pre>{@code
 * (dsl, after) -> dsl.selectFrom(USERS)
 *     .where(filter, after.map(last -> USERS.ID.gt(last.id())).orElse(DSL.noCondition()))
 *     .orderBy(USERS.ID)
 * }</pre>
 *
 * @param <R> the row type
 * @param <T> the streamed value a row maps to
 */
@FunctionalInterface
public interface ShardQuery<R extends Record, T> {
  /**
   * The query of one batch.
   *
   * @param dsl the shard's context
   * @param after the last value read from this shard, empty for its first batch
   * @return the ordered query of the rows after {@code after}, without a limit
   */
  SelectLimitStep<R> select(DSLContext dsl, Optional<T> after);
}
