package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * The bucket directory as stored on the shards of one service's database (db/platform/R__trellis_bucket_directory.sql),
 * with each shard's own buckets (trellis_bucket_owner, which the bucket fence checks on every write). A version is
 * published in two passes over all shards: first its rows, incomplete, and each shard gives up the buckets it loses;
 * then each shard takes the buckets it gains, and marks the version complete. So a bucket is never owned by two
 * shards: between the passes it is owned by none, and writes to it are refused (and retried) until it lands. A
 * reader takes the highest complete version it finds on any shard, so a version is
 * routed by only once every shard holds it, and a writer that crashed between the passes (or a shard down during
 * them) leaves a version that no one follows until a rerun of {@link #publish} completes it.
 */
public final class DirectoryStore {
  private static final Table<Record> VERSIONS = table(name("trellis_directory_version"));
  private static final Table<Record> RANGES = table(name("trellis_bucket_directory"));
  private static final Field<Long> VERSION = field(name("version"), Long.class);
  private static final Field<Integer> SHARD_COUNT = field(name("shard_count"), Integer.class);
  private static final Field<Boolean> COMPLETE = field(name("complete"), Boolean.class);
  private static final Field<Integer> FIRST = field(name("first_bucket"), Integer.class);
  private static final Field<Integer> LAST = field(name("last_bucket"), Integer.class);
  private static final Field<Integer> SHARD = field(name("shard_index"), Integer.class);
  private static final Table<Record> OWNER = table(name("trellis_bucket_owner"));
  private static final Field<Integer> BUCKET = field(name("bucket"), Integer.class);
  private static final Field<Long> OWNER_VERSION = field(name("directory_version"), Long.class);
  private static final Table<Record> SHARDS = table(name("trellis_directory_shard"));
  private static final Field<String> URL = field(name("jdbc_url"), String.class);
  private static final Field<String> STATE = field(name("state"), String.class);

  private DirectoryStore() {}

  /** The number of the highest complete version stored on one shard (0 when it holds none): a cheap poll. */
  public static long latestVersion(DSLContext shard) {
    requireNonNull(shard, "shard");
    Long version = shard.select(DSL.max(VERSION)).from(VERSIONS).where(COMPLETE).fetchSingle().value1();
    return version == null ? 0 : version;
  }

  /** The highest complete version stored on one shard, if it holds any. */
  public static Optional<BucketDirectory> readLatest(DSLContext shard) {
    requireNonNull(shard, "shard");
    return shard.select(VERSION, SHARD_COUNT).from(VERSIONS).where(COMPLETE).orderBy(VERSION.desc()).limit(1)
        .fetchOptional()
        .map(v -> BucketDirectory.ofRanges(v.value1(), ranges(shard, v.value1()), v.value2(),
            shardRecords(shard, v.value1())));
  }

  private static List<BucketDirectory.Range> ranges(DSLContext shard, long version) {
    return shard.select(FIRST, LAST, SHARD).from(RANGES).where(VERSION.eq(version)).orderBy(FIRST)
        .fetch(r -> new BucketDirectory.Range(r.value1(), r.value2(), r.value3()));
  }

  private static List<ShardRecord> shardRecords(DSLContext shard, long version) {
    return shard.select(SHARD, URL, STATE).from(SHARDS).where(VERSION.eq(version)).orderBy(SHARD)
        .fetch(r -> new ShardRecord(r.value1(), r.value2(), ShardRecord.State.valueOf(r.value3())));
  }

  /** The highest complete version over the given shards (every one must answer; null entries are skipped). */
  public static Optional<BucketDirectory> readNewest(List<DSLContext> shards) {
    requireNonNull(shards, "shards");
    Optional<BucketDirectory> newest = Optional.empty();
    for (DSLContext shard : shards) {
      if (shard == null) {
        continue;
      }
      Optional<BucketDirectory> latest = readLatest(shard);
      if (latest.isPresent() && (newest.isEmpty() || latest.get().version() > newest.get().version())) {
        newest = latest;
      }
    }
    return newest;
  }

  /**
   * Writes {@code directory} to every shard of the list (all shards of the database, in shard order), then marks it
   * complete on every one. Idempotent: a rerun after a crash completes the same version; two writers racing with the
   * same version and layout (replicas seeding version 1 at once) write it once. Only a shard the directory records
   * as drained may be missing (a null entry, or beyond the end of the list): it owns no bucket, and its database may
   * be gone.
   *
   * @throws IllegalStateException when a shard already holds this version with another layout
   */
  public static void publish(List<DSLContext> shards, BucketDirectory directory) {
    requireNonNull(shards, "shards");
    requireNonNull(directory, "directory");
    if (shards.size() > directory.shardCount()) {
      throw new IllegalArgumentException("directory version " + directory.version() + " maps "
          + directory.shardCount() + " shards, but " + shards.size() + " were given");
    }
    for (int i = 0; i < directory.shardCount(); i++) {
      boolean missing = i >= shards.size() || shards.get(i) == null;
      if (missing && (directory.shards().isEmpty() || directory.shards().get(i).serves())) {
        throw new IllegalArgumentException("directory version " + directory.version() + " needs shard " + i
            + ", which was not given");
      }
    }
    for (int i = 0; i < shards.size(); i++) {
      if (shards.get(i) == null) {
        continue;
      }
      Integer[] owned = owned(directory, i);
      shards.get(i).transaction(tx -> {
        writeRows(tx.dsl(), directory);
        tx.dsl().deleteFrom(OWNER).where(BUCKET.notEqual(DSL.all(owned))).execute();
      });
    }
    for (int i = 0; i < shards.size(); i++) {
      if (shards.get(i) == null) {
        continue;
      }
      Integer[] owned = owned(directory, i);
      shards.get(i).transaction(tx -> {
        var grant = tx.dsl().insertInto(OWNER).columns(BUCKET, OWNER_VERSION);
        for (Integer bucket : owned) {
          grant = grant.values(bucket, directory.version());
        }
        if (owned.length > 0) {
          grant.onConflictDoNothing().execute();
        }
        tx.dsl().update(VERSIONS).set(COMPLETE, true).where(VERSION.eq(directory.version())).execute();
      });
    }
  }

  private static Integer[] owned(BucketDirectory directory, int shard) {
    return Arrays.stream(directory.bucketsOf(shard)).boxed().toArray(Integer[]::new);
  }

  private static void writeRows(DSLContext tx, BucketDirectory directory) {
    int inserted = tx.insertInto(VERSIONS).columns(VERSION, SHARD_COUNT)
        .values(directory.version(), directory.shardCount()).onConflictDoNothing().execute();
    if (inserted == 0) {
      // Written before (a rerun, or a racing writer): it must be this very layout.
      var stored = tx.select(SHARD_COUNT).from(VERSIONS).where(VERSION.eq(directory.version())).forUpdate()
          .fetchSingle().value1();
      if (stored != directory.shardCount() || !ranges(tx, directory.version()).equals(directory.ranges())
          || !shardRecords(tx, directory.version()).equals(directory.shards())) {
        throw new IllegalStateException("directory version " + directory.version()
            + " is already stored with another layout");
      }
      return;
    }
    var insert = tx.insertInto(RANGES).columns(VERSION, FIRST, LAST, SHARD);
    for (BucketDirectory.Range r : directory.ranges()) {
      insert = insert.values(directory.version(), r.first(), r.last(), r.shard());
    }
    insert.execute();
    if (!directory.shards().isEmpty()) {
      var shards = tx.insertInto(SHARDS).columns(VERSION, SHARD, URL, STATE);
      for (ShardRecord shard : directory.shards()) {
        shards = shards.values(directory.version(), shard.index(), shard.jdbcUrl(), shard.state().name());
      }
      shards.execute();
    }
  }
}
