package dev.trellis.platform.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Name;
import org.jooq.impl.DSL;

/**
 * A table whose rows belong to buckets, as its bucket fence trigger says
 * (db/platform/beforeMigrate__trellis_bucket_fence.sql: the generic trellis_bucket_fence, or the function of its own
 * that trellis_fence_table made):
 * the column that gives a row's bucket, and whether it holds an id or a shard key. Read from the database itself, so
 * a service declares its bucketed tables once, in the migration that fences them.
 *
 * @param columnType the SQL type of {@code column} (bigint, text)
 * @param primaryKey the columns of its primary key (the catch-up upserts by it)
 * @param movable whether the fence covers UPDATE and DELETE: a bucket move copies and deletes such rows; an
 *     append-only outbox (fenced on INSERT alone) keeps its rows where they were written
 */
record BucketedTable(String table, String column, String columnType, boolean byKey, boolean movable,
    List<String> columns, List<String> primaryKey) {
  private static final int TRIGGER_TYPE_DELETE = 1 << 3;

  /** Its rows of {@code bucket}. */
  Condition inBucket(int bucket) {
    return DSL.condition("{0}({1}) = {2}", DSL.name(byKey ? "trellis_bucket_of_key" : "trellis_bucket_of_id"),
        DSL.field(DSL.name(column)), DSL.inline(bucket));
  }

  /** Its rows of {@code bucket} whose bucket column holds one of {@code values} (as the fence logged them). */
  Condition inBucket(int bucket, List<String> values) {
    return inBucket(bucket).and(DSL.condition("{0} = ANY({1}::text[]::" + columnType + "[])",
        DSL.field(DSL.name(column)), DSL.val(values.toArray(String[]::new))));
  }

  Name name() {
    return DSL.name(table);
  }

  /** The fenced tables of the shard's schema, parents before the tables whose foreign keys reference them. */
  static List<BucketedTable> of(DSLContext shard) {
    List<BucketedTable> found = new ArrayList<>();
    for (var r : shard.fetch("SELECT c.relname::text, t.tgargs, t.tgtype::int FROM pg_trigger t"
        + " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
        + " WHERE (p.proname = 'trellis_bucket_fence' OR p.proname LIKE 'trellis\\_bucket\\_fence\\_%')"
        + " AND c.relnamespace = current_schema()::regnamespace"
        + " ORDER BY 1")) {
      String table = r.get(0, String.class);
      String[] args = new String(r.get(1, byte[].class), StandardCharsets.UTF_8).split("\0");
      List<String> columns = shard.fetch("SELECT attname::text FROM pg_attribute WHERE attrelid = {0}::regclass"
          + " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", DSL.val(table))
          .getValues(0, String.class);
      String type = shard.fetchValue("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
          + " WHERE attrelid = {0}::regclass AND attname = {1}", DSL.val(table), DSL.val(args[0])).toString();
      List<String> primaryKey = shard.fetch("SELECT a.attname::text FROM pg_index i JOIN pg_attribute a"
          + " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = {0}::regclass"
          + " AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)", DSL.val(table))
          .getValues(0, String.class);
      found.add(new BucketedTable(table, args[0], type, "key".equals(args[1]),
          (r.get(2, Integer.class) & TRIGGER_TYPE_DELETE) != 0, columns, primaryKey));
    }
    return parentsFirst(shard, found);
  }

  private static List<BucketedTable> parentsFirst(DSLContext shard, List<BucketedTable> tables) {
    Map<String, Set<String>> parents = new HashMap<>();
    for (var r : shard.fetch("SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
        + " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace")) {
      parents.computeIfAbsent(r.get(0, String.class), k -> new HashSet<>()).add(r.get(1, String.class));
    }
    List<BucketedTable> ordered = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    List<BucketedTable> left = new ArrayList<>(tables);
    while (!left.isEmpty()) {
      BucketedTable next = left.stream()
          .filter(t -> parents.getOrDefault(t.table(), Set.of()).stream()
              .allMatch(p -> placed.contains(p) || p.equals(t.table())
                  || tables.stream().noneMatch(o -> o.table().equals(p))))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("bucketed tables reference each other in a cycle"));
      ordered.add(next);
      placed.add(next.table());
      left.remove(next);
    }
    return ordered;
  }
}
