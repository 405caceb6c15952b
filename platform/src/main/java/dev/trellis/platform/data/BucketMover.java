package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.route.BucketDirectory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Moves one bucket of one service's database from the shard that owns it to another, while the services serve, as
 * Vitess's MoveTables does (copy, catch up, switch writes behind a fence):
 *
 * <ol>
 *   <li>mark the bucket moving on the source, so that its fence logs the rows written in it from now on;
 *   <li>copy the bucket's rows of every movable {@link BucketedTable} to the target, writes going on;
 *   <li>cut over: lock the bucket's ownership row on the source FOR UPDATE (the fence makes every write to the
 *       bucket take that row, so this waits for the writes in flight and holds off new ones; writes to other buckets
 *       never wait), copy again the rows written since the mark (the catch-up: the pause grows with what changed
 *       during the copy, not with the bucket's size), and give up the ownership;
 *   <li>hand the bucket's outbox over: record on the target where the source's outbox ended, so that feeds deliver
 *       the bucket's events written on the target only after those written on the source
 *       ({@code trellis_bucket_handoff}, read by {@code OutboxFeed});
 *   <li>publish the directory version that names the target, which grants it the bucket: the write pause ends;
 *   <li>after the source grace ({@link BucketMoveSettings}: replicas still routing by the old version read the
 *       source meanwhile, and find their rows there rather than a false NOT_FOUND; their writes are refused by the
 *       fence), delete the source rows.
 * </ol>
 *
 * <p>Each step is journaled on the source ({@code trellis_bucket_move}), so a mover stopped anywhere runs again from
 * where it was; the bucket is owned by the source, then briefly by neither (writes are refused and retried), then
 * by the target, never by two. One mover at a time per database.
 */
public final class BucketMover {
  /** Where a move is: what a progress display shows. */
  public enum Step { COPIED, CUT_OVER, PUBLISHED, DONE }

  /** A finished move: how many rows were copied (the catch-up included) and how long the bucket's writes paused. */
  public record Report(int bucket, int from, int to, long rowsCopied, Duration writePause, long directoryVersion) {}

  private final List<DSLContext> shards;
  private final Consumer<Step> progress;
  private final Duration deleteAfter;
  private final boolean wholeBucketCatchUp;
  private volatile List<BucketedTable> tablesRead;

  private BucketMover(List<DSLContext> shards, Consumer<Step> progress, Duration deleteAfter,
      boolean wholeBucketCatchUp) {
    this.shards = shards;
    this.progress = progress;
    this.deleteAfter = deleteAfter;
    this.wholeBucketCatchUp = wholeBucketCatchUp;
  }

  public static Builder builder(ShardedDatabase db) {
    requireNonNull(db, "db");
    return new Builder(db.shards().stream().map(s -> DSL.using(s.dataSource(), SQLDialect.POSTGRES)).toList());
  }

  /**
   * The tables a move carries, parents first: every table of the service's schema whose bucket fence covers INSERT,
   * UPDATE and DELETE (the trigger declares it once, in the service's migration; see {@link BucketedTable}).
   */
  public List<String> movedTables() {
    return BucketedTable.of(shards.get(0)).stream().filter(BucketedTable::movable).map(BucketedTable::table)
        .toList();
  }

  /** The append-only outboxes (fenced on INSERT alone): their rows stay on the shard that wrote them. */
  public List<String> outboxTables() {
    return BucketedTable.of(shards.get(0)).stream().filter(t -> !t.movable()).map(BucketedTable::table).toList();
  }

  /**
   * What makes a move read a table whole, as the planner of shard 0 says with sequential scans off: each moved table
   * whose bucket predicate (the one the copy, the catch-up and the delete use) no index serves, named by itself, and
   * each foreign key to a moved table whose referencing columns no index serves (deleting a bucket's parent rows
   * checks the child table once per row), named "child (columns) references parent". Such a move's cost grows with
   * the tables. A service gives each moved table an expression index on its fence's bucket expression, and each
   * such foreign key an index; the testing kit's {@code BucketedSchema} fails for a schema without.
   */
  public List<String> tablesScannedWhole() {
    return shards.get(0).transactionResult(tx -> {
      DSLContext dsl = tx.dsl();
      dsl.execute("SET LOCAL enable_seqscan = off");
      dsl.execute("SET LOCAL plan_cache_mode = force_generic_plan"); // plan a key check as the FK trigger does
      List<String> whole = new ArrayList<>();
      List<String> moved = new ArrayList<>();
      for (BucketedTable table : BucketedTable.of(dsl)) {
        if (!table.movable()) {
          continue;
        }
        moved.add(table.table());
        if (!usesIndex(dsl.fetchValue("EXPLAIN (FORMAT JSON) SELECT 1 FROM {0} WHERE {1}",
            DSL.table(table.name()), table.inBucket(0)))) {
          whole.add(table.table());
        }
      }
      for (var fk : dsl.fetch("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,"
          + " array_agg(a.attname::text ORDER BY k.i), array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.i)"
          + " FROM pg_constraint c CROSS JOIN unnest(c.conkey) WITH ORDINALITY k(attnum, i)"
          + " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
          + " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace GROUP BY 1, 2, c.oid")) {
        if (!moved.contains(fk.get(1, String.class))) {
          continue;
        }
        String[] columns = fk.get(2, String[].class);
        String[] types = fk.get(3, String[].class);
        List<Condition> match = new ArrayList<>();
        for (int i = 0; i < columns.length; i++) {
          match.add(DSL.condition("{0} = {1}", DSL.field(DSL.name(columns[i])), DSL.field("$" + (i + 1))));
        }
        dsl.execute("PREPARE trellis_fk_check (" + String.join(", ", types) + ") AS SELECT 1 FROM {0} WHERE {1}",
            DSL.table(DSL.name(fk.get(0, String.class))), DSL.and(match));
        Object plan = dsl.fetchValue("EXPLAIN (FORMAT JSON) EXECUTE trellis_fk_check ("
            + String.join(", ", Collections.nCopies(columns.length, "NULL")) + ")");
        dsl.execute("DEALLOCATE trellis_fk_check");
        if (!usesIndex(plan)) {
          whole.add(fk.get(0, String.class) + " (" + String.join(", ", columns) + ") references "
              + fk.get(1, String.class));
        }
      }
      return whole;
    });
  }

  private static boolean usesIndex(Object jsonPlan) {
    return jsonPlan.toString().contains("\"Index Cond\"");
  }

  /**
   * Moves {@code bucket} to shard {@code to}, or finishes the move of it that a stopped mover left; a no-op when the
   * directory names {@code to} already and nothing is left to finish. {@link #cutOver} then {@link #removeSource}.
   *
   * @throws IllegalStateException when an unfinished move of this bucket goes to another shard
   */
  public Report move(int bucket, int to) {
    return removeSource(cutOver(bucket, to));
  }

  /**
   * The first part of {@link #move}: copies the bucket, cuts over and publishes the directory that names
   * {@code to} (or finishes those steps of a stopped move). The source rows stay until {@link #removeSource} of the
   * result, which waits out the source grace from now: a caller moving many buckets copies the next ones meanwhile
   * (the move journal says CUT_OVER until then, so a stopped run finishes the removal when run again).
   *
   * @throws IllegalStateException when an unfinished move of this bucket goes to another shard
   */
  public CutOver cutOver(int bucket, int to) {
    if (to < 0 || to >= shards.size()) {
      throw new IllegalArgumentException("shard " + to + " is outside [0, " + shards.size() + ")");
    }
    Optional<Journal> unfinished = unfinished(bucket);
    if (unfinished.isPresent() && unfinished.get().to() != to) {
      throw new IllegalStateException("bucket " + bucket + " is being moved to shard " + unfinished.get().to()
          + "; finish that move first");
    }
    BucketDirectory directory = DirectoryStore.readNewest(shards).orElseThrow(
        () -> new IllegalStateException("the shards hold no bucket directory: migrate them first"));
    int from = unfinished.map(Journal::from).orElse(directory.shardOf(bucket));
    if (from == to) {
      return new CutOver(new Report(bucket, from, to, 0, Duration.ZERO, directory.version()), 0);
    }
    DSLContext source = shards.get(from);
    DSLContext target = shards.get(to);
    List<BucketedTable> tables = movedTablesOf(source);
    long rows = 0;
    Duration pause = Duration.ZERO;
    long version;
    if (unfinished.isEmpty() || unfinished.get().state().equals("COPYING")) {
      journal(source, bucket, from, to, "COPYING", 0, null);
      startLogging(source, bucket, from);
      rows += copy(source, target, tables, bucket);
      progress.accept(Step.COPIED);
      long[] cut = cutOver(source, target, tables, bucket, from);
      rows += cut[0];
      progress.accept(Step.CUT_OVER);
      handOff(target, bucket, from, cut[2]);
      version = publish(directory, bucket, to);
      pause = Duration.ofNanos(System.nanoTime() - cut[1]);
      journal(source, bucket, from, to, "CUT_OVER", rows, pause.toNanos() / 1000);
      progress.accept(Step.PUBLISHED);
    } else {
      handOff(target, bucket, from, unfinished.get().outboxTxid());
      version = publish(directory, bucket, to);
      progress.accept(Step.PUBLISHED);
    }
    return new CutOver(new Report(bucket, from, to, rows, pause, version), System.nanoTime() + deleteAfter.toNanos());
  }

  /**
   * A bucket cut over and published, whose source rows stay until {@link #deleteAt} (System.nanoTime()): replicas
   * still routing by the previous directory version read them meanwhile.
   */
  public record CutOver(Report report, long deleteAt) {
    /** Whether the source grace has passed. */
    public boolean due() {
      return System.nanoTime() - deleteAt >= 0;
    }
  }

  /** Waits until the source grace of {@code cut} has passed, then deletes the bucket's source rows (DONE). */
  public Report removeSource(CutOver cut) {
    requireNonNull(cut, "cut");
    Report report = cut.report();
    if (report.from() == report.to()) {
      return report;
    }
    long wait = cut.deleteAt() - System.nanoTime();
    if (wait > 0) {
      pause(Duration.ofNanos(wait));
    }
    DSLContext source = shards.get(report.from());
    List<BucketedTable> tables = movedTablesOf(source);
    source.transaction(tx -> {
      fenceOff(tx.dsl());
      for (BucketedTable table : reversed(tables)) {
        tx.dsl().deleteFrom(DSL.table(table.name())).where(table.inBucket(report.bucket())).execute();
      }
      tx.dsl().execute("UPDATE trellis_bucket_move SET state = 'DONE', updated_at = now() WHERE bucket = ?",
          report.bucket());
    });
    progress.accept(Step.DONE);
    return report;
  }

  /** The moved tables, read from the schema once per mover (every shard has the same tables). */
  private List<BucketedTable> movedTablesOf(DSLContext shard) {
    List<BucketedTable> tables = tablesRead;
    if (tables == null) {
      tables = BucketedTable.of(shard).stream().filter(BucketedTable::movable).toList();
      tablesRead = tables;
    }
    return tables;
  }

  /**
   * From now on the fence logs what is written in the bucket on the source (trellis_bucket_change), for the
   * catch-up. Set under the ownership row's lock, so every write of the bucket that did not see the flag has ended
   * before the copy begins (a pause of the bucket's writes as long as the longest one in flight).
   */
  private static void startLogging(DSLContext source, int bucket, int from) {
    source.transaction(tx -> {
      tx.dsl().fetchOptional("SELECT bucket FROM trellis_bucket_owner WHERE bucket = ? FOR UPDATE", bucket)
          .orElseThrow(() -> new IllegalStateException("shard " + from + " does not own bucket " + bucket));
      tx.dsl().execute("UPDATE trellis_bucket_owner SET moving = true WHERE bucket = ?", bucket);
    });
  }

  /**
   * Copies again the rows of the bucket written since {@link #startLogging} (the logged values of each table's
   * bucket column), replacing the target's, in one target transaction; then empties the log. Run under the lock.
   */
  private static long catchUp(DSLContext source, DSLContext target, List<BucketedTable> tables, int bucket) {
    Map<String, List<String>> changed = new HashMap<>();
    for (Record r : source.fetch("SELECT table_name, value FROM trellis_bucket_change WHERE bucket = ?", bucket)) {
      changed.computeIfAbsent(r.get(0, String.class), t -> new ArrayList<>()).add(r.get(1, String.class));
    }
    List<BucketedTable> touched = tables.stream().filter(t -> changed.containsKey(t.table())).toList();
    List<String> rows = new ArrayList<>();
    for (BucketedTable table : touched) {
      rows.add(source.fetchValue("SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]')::text FROM {0} t WHERE {1}",
          DSL.table(table.name()), table.inBucket(bucket, changed.get(table.table()))).toString());
    }
    long copied = target.transactionResult(tx -> {
      fenceOff(tx.dsl());
      // Upserts parents first, then deletes children first what the source no longer has: a changed parent is
      // never deleted under children that still reference it.
      long upserted = 0;
      for (int i = 0; i < touched.size(); i++) {
        upserted += upsert(tx.dsl(), touched.get(i), rows.get(i));
      }
      for (int i = touched.size() - 1; i >= 0; i--) {
        BucketedTable table = touched.get(i);
        var key = DSL.list(table.primaryKey().stream().map(DSL::name).map(DSL::field).toList());
        tx.dsl().execute("DELETE FROM {0} WHERE {1} AND ({2}) NOT IN (SELECT {2} FROM"
            + " jsonb_populate_recordset(NULL::{0}, {3}::jsonb))", DSL.table(table.name()),
            table.inBucket(bucket, changed.get(table.table())), key, DSL.val(rows.get(i)));
      }
      return upserted;
    });
    source.execute("DELETE FROM trellis_bucket_change WHERE bucket = ?", bucket);
    return copied;
  }

  /**
   * Under the ownership lock: the catch-up copy, then the source gives the bucket up.
   *
   * @return rows copied, System.nanoTime() when the lock was taken (the pause began), and the source's next
   *     transaction id then: every outbox row of the bucket on the source is below it
   */
  private long[] cutOver(DSLContext source, DSLContext target, List<BucketedTable> tables, int bucket, int from) {
    return source.transactionResult(tx -> {
      Record owner = tx.dsl().fetchOptional("SELECT bucket FROM trellis_bucket_owner WHERE bucket = ? FOR UPDATE",
          bucket).orElseThrow(() -> new IllegalStateException("shard " + from + " does not own bucket " + bucket));
      long pausedAt = System.nanoTime();
      // Every writer of the bucket has ended (they held the row KEY SHARE) and no other can begin: their
      // transaction ids are all below the next one.
      long outboxTxid = ((Number) tx.dsl().fetchValue(
          "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")).longValue();
      long rows;
      if (wholeBucketCatchUp) {
        rows = copy(tx.dsl(), target, tables, bucket);
        tx.dsl().execute("DELETE FROM trellis_bucket_change WHERE bucket = ?", bucket);
      } else {
        rows = catchUp(tx.dsl(), target, tables, bucket);
      }
      tx.dsl().execute("DELETE FROM trellis_bucket_owner WHERE bucket = ?", owner.get(0, Integer.class));
      tx.dsl().execute("UPDATE trellis_bucket_move SET state = 'CUT_OVER', outbox_txid = ?, updated_at = now()"
          + " WHERE bucket = ?", outboxTxid, bucket);
      return new long[] {rows, pausedAt, outboxTxid};
    });
  }

  /**
   * Tells the target's outbox feeds where the source's feed must have read before the bucket's events here follow
   * (trellis_bucket_handoff), before the directory lets any be written here. A rerun writes it once.
   */
  private static void handOff(DSLContext target, int bucket, int from, Long outboxTxid) {
    if (outboxTxid == null) {
      return; // cut over by a mover older than the handoff: nothing to wait for
    }
    target.execute("INSERT INTO trellis_bucket_handoff (bucket, from_shard, source_txid) VALUES (?, ?, ?)"
        + " ON CONFLICT DO NOTHING", bucket, from, outboxTxid);
  }

  /**
   * Publishes the newest directory with the bucket on {@code to}, unless it names {@code to} already. The newest is
   * the one read when the move began: only movers publish while a database serves, one at a time.
   */
  private long publish(BucketDirectory newest, int bucket, int to) {
    if (newest.shardOf(bucket) == to) {
      return newest.version();
    }
    BucketDirectory next = newest.withBucketMoved(bucket, to);
    DirectoryStore.publish(shards, next);
    return next.version();
  }

  /** Replaces the target's rows of the bucket with the source's, in one target transaction: a rerun repeats it. */
  private static long copy(DSLContext source, DSLContext target, List<BucketedTable> tables, int bucket) {
    List<String> rows = new ArrayList<>();
    for (BucketedTable table : tables) {
      rows.add(source.fetchValue("SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]')::text FROM {0} t WHERE {1}",
          DSL.table(table.name()), table.inBucket(bucket)).toString());
    }
    return target.transactionResult(tx -> {
      fenceOff(tx.dsl());
      for (BucketedTable table : reversed(tables)) {
        tx.dsl().deleteFrom(DSL.table(table.name())).where(table.inBucket(bucket)).execute();
      }
      long copied = 0;
      for (int i = 0; i < tables.size(); i++) {
        copied += insert(tx.dsl(), tables.get(i), rows.get(i));
      }
      return copied;
    });
  }

  private static int upsert(DSLContext tx, BucketedTable table, String rows) {
    var columns = DSL.list(table.columns().stream().map(DSL::name).map(DSL::field).toList());
    var key = DSL.list(table.primaryKey().stream().map(DSL::name).map(DSL::field).toList());
    var set = DSL.list(table.columns().stream().map(c -> DSL.sql("{0} = excluded.{0}", DSL.name(c))).toList());
    return tx.execute("INSERT INTO {0} ({1}) SELECT {1} FROM jsonb_populate_recordset(NULL::{0}, {2}::jsonb)"
        + " ON CONFLICT ({3}) DO UPDATE SET {4}", DSL.table(table.name()), columns, DSL.val(rows), key, set);
  }

  private static int insert(DSLContext tx, BucketedTable table, String rows) {
    var columns = DSL.list(table.columns().stream().map(DSL::name).map(DSL::field).toList());
    return tx.execute("INSERT INTO {0} ({1}) SELECT {1} FROM jsonb_populate_recordset(NULL::{0}, {2}::jsonb)",
        DSL.table(table.name()), columns, DSL.val(rows));
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted before deleting the source rows; run the move again", e);
    }
  }

  /** The mover writes rows of buckets that the shard does not own (yet, or any more). */
  private static void fenceOff(DSLContext tx) {
    tx.execute("SET LOCAL trellis.fence = 'off'");
  }

  private static List<BucketedTable> reversed(List<BucketedTable> tables) {
    List<BucketedTable> children = new ArrayList<>(tables);
    Collections.reverse(children);
    return children;
  }

  private record Journal(int from, int to, String state, Long outboxTxid) {}

  private Optional<Journal> unfinished(int bucket) {
    for (int shard = 0; shard < shards.size(); shard++) {
      Optional<Journal> found = shards.get(shard).fetchOptional("SELECT from_shard, to_shard, state, outbox_txid"
          + " FROM trellis_bucket_move WHERE bucket = ? AND state <> 'DONE'", bucket)
          .map(r -> new Journal(r.get(0, Integer.class), r.get(1, Integer.class), r.get(2, String.class),
              r.get(3, Long.class)));
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private static void journal(DSLContext source, int bucket, int from, int to, String state, long rows,
      Long pauseMicros) {
    source.execute("INSERT INTO trellis_bucket_move (bucket, from_shard, to_shard, state, rows_copied,"
        + " write_pause_us) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET"
        + " from_shard = excluded.from_shard,"
        + " to_shard = excluded.to_shard, state = excluded.state, rows_copied = excluded.rows_copied,"
        + " write_pause_us = excluded.write_pause_us, updated_at = now()", bucket, from, to, state, rows, pauseMicros);
  }

  /** Builds a {@link BucketMover}. */
  public static final class Builder {
    private final List<DSLContext> shards;
    private Consumer<Step> progress = step -> {};
    private Duration deleteAfter = BucketMoveSettings.defaults().sourceGrace();
    private boolean wholeBucketCatchUp;

    private Builder(List<DSLContext> shards) {
      this.shards = shards;
    }

    /** Told each step of each move as it completes (a progress bar; a test that stops the mover mid-way). */
    public Builder progress(Consumer<Step> progress) {
      this.progress = requireNonNull(progress, "progress");
      return this;
    }

    /** The source grace of {@code settings} ({@code TRELLIS_MOVE_SOURCE_GRACE}, tied to the replicas' poll). */
    public Builder settings(BucketMoveSettings settings) {
      return deleteAfter(requireNonNull(settings, "settings").sourceGrace());
    }

    /**
     * How long the source rows stay after the directory names the target: more than twice the replicas' directory
     * poll ({@code TRELLIS_DIRECTORY_POLL}), so that none reads the source after they are gone (see
     * {@link BucketMoveSettings}). Default 6 s: three default polls. Tests take less.
     */
    public Builder deleteAfter(Duration deleteAfter) {
      this.deleteAfter = requireNonNull(deleteAfter, "deleteAfter");
      if (deleteAfter.isNegative()) {
        throw new IllegalArgumentException("deleteAfter must not be negative");
      }
      return this;
    }

    /**
     * Whether the cut-over copies the whole bucket again (as movers did before the change log) instead of the rows
     * written during the copy: only to compare the two write pauses in one run (BucketMoveBenchmark).
     */
    public Builder wholeBucketCatchUp(boolean whole) {
      this.wholeBucketCatchUp = whole;
      return this;
    }

    public BucketMover build() {
      return new BucketMover(shards, progress, deleteAfter, wholeBucketCatchUp);
    }
  }
}
