package dev.trellis.platform.data;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import dev.trellis.platform.config.ConfigException;
import java.sql.Connection;
import java.sql.SQLException;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * A shard's place in its topology, and the bucket directory that routes to it. Each shard records its index (and
 * the directory version it joined at) the first time it is migrated, and every shard holds the bucket directory
 * (see {@link DirectoryStore}), which is the authority for the shard set: it records every shard, how to reach it
 * and its state. A start is a claim on both: each shard of the configured list (the seed) must be at its recorded
 * index, and the list may name no shard the directory lacks (shards join through the reshard program, which
 * registers them first). A shorter list is fine when the directory records the rest: the database opens them from
 * there. A reordered list would route ids and emails to shards that do not hold them, so the start refuses in one
 * line.
 */
final class ShardClaim {
  private static final Table<?> TABLE = table(name("trellis_shard"));
  private static final Field<Integer> INDEX = field(name("shard_index"), Integer.class);
  private static final Field<Integer> COUNT = field(name("shard_count"), Integer.class);
  private static final Field<Long> VERSION = field(name("directory_version"), Long.class);
  private static final String UNDEFINED_TABLE = "42P01";

  /** Shard {@code index + 1} of a list of {@code count}. */
  record Place(int index, int count) {}

  /** One shard of the topology being started: its name, where its database is, and its place in the list now. */
  record Member(String name, String jdbcUrl, DataSource dataSource, Place place) {}

  private ShardClaim() {}

  /**
   * Checks the recorded index of every shard and the directory's shard set first, and only then records what is
   * missing (the index of unclaimed shards; the directory, seeded with even ranges and the shards' records, where no
   * shard holds one), so that a refused start (a list grown from 4 to 6 shards, say) leaves no new shard claimed.
   *
   * @param recordMissing whether to record missing places and seed a missing directory (migrating), or refuse them
   *     (checking that a migration job ran)
   * @return the directory the shards hold now
   * @throws ConfigException when a shard was first used at another place, or the list names shards the directory
   *     lacks (or lacks shards the directory does not record), or something is missing while checking
   */
  static BucketDirectory checkAll(List<Member> members, boolean recordMissing) {
    List<Optional<Place>> recorded = new ArrayList<>();
    for (Member member : members) {
      Optional<Place> place = read(member);
      if (place.isEmpty() && !recordMissing) {
        throw new ConfigException("shard " + member.name() + " has no recorded place in the shard list: run the"
            + " migration job first");
      }
      place.ifPresent(p -> requireSameIndex(member, p));
      recorded.add(place);
    }
    Optional<BucketDirectory> stored = use(members.get(0), "reading the bucket directory of",
        dsl -> DirectoryStore.readNewest(contexts(members)));
    if (stored.isEmpty() && !recordMissing) {
      throw new ConfigException("shard " + members.get(0).name() + " holds no bucket directory: run the migration"
          + " job first");
    }
    // A database migrated before the directory was stored routed by even ranges over the count it was claimed with.
    int legacyCount = recorded.stream().flatMap(Optional::stream).findFirst().map(Place::count)
        .orElse(members.size());
    BucketDirectory directory = stored.orElseGet(() -> legacyCount == members.size()
        ? BucketDirectory.evenRanges(records(members)) : BucketDirectory.evenRanges(legacyCount));
    requireShardSet(members, directory);
    if (recordMissing) {
      for (Member member : members) {
        // Replicas starting at once may race here: the first insert wins, and every one checks what won.
        Place place = member.place();
        use(member, "recording the place of", dsl -> dsl.insertInto(TABLE).columns(INDEX, COUNT, VERSION)
            .values(place.index(), place.count(), directory.version()).onConflictDoNothing().execute());
        requireSameIndex(member, read(member).orElseThrow());
      }
      if (stored.isEmpty()) {
        use(members.get(0), "seeding the bucket directory of", dsl -> {
          DirectoryStore.publish(contexts(members), directory);
          return null;
        });
      } else if (directory.shards().isEmpty()) {
        // Stored before the directory recorded its shards: record them (the configured list is all of them).
        BucketDirectory recordedNow = directory.withShards(records(members));
        use(members.get(0), "recording the shards in the bucket directory of", dsl -> {
          DirectoryStore.publish(contexts(members), recordedNow);
          return null;
        });
        return recordedNow;
      }
    }
    return directory;
  }

  /** The members as active shards of a directory: their URLs without credentials. */
  static List<ShardRecord> records(List<Member> members) {
    return members.stream().map(m -> new ShardRecord(m.place().index(),
        ShardRecord.withoutCredentials(m.jdbcUrl()), ShardRecord.State.ACTIVE)).toList();
  }

  /** The list may be shorter than the directory's shard set only when the directory says where the rest are. */
  private static void requireShardSet(List<Member> members, BucketDirectory directory) {
    if (members.size() > directory.shardCount()) {
      Member first = members.get(directory.shardCount());
      throw new ConfigException("shard " + first.name() + " is number " + (first.place().index() + 1) + " of "
          + members.size() + " in the shard list now, but the bucket directory names " + directory.shardCount()
          + " shards. A new shard joins through the reshard program (it registers the shard in the directory and"
          + " moves buckets to it); the shard list (TRELLIS_SHARD_URLS or --shards) only seeds the shard set.");
    }
    if (members.size() < directory.shardCount() && directory.shards().isEmpty()) {
      throw moved(members.get(0), members.get(0).place().index(), directory.shardCount());
    }
  }
  private static List<DSLContext> contexts(List<Member> members) {
    return members.stream().map(m -> DSL.using(m.dataSource(), SQLDialect.POSTGRES)).toList();
  }

  private static Optional<Place> read(Member member) {
    return use(member, "reading the place of", dsl -> dsl.select(INDEX, COUNT).from(TABLE)
        .fetchOptional(r -> new Place(r.value1(), r.value2())));
  }

  private static void requireSameIndex(Member member, Place recorded) {
    if (recorded.index() != member.place().index()) {
      throw moved(member, recorded.index(), recorded.count());
    }
  }

  private static ConfigException moved(Member member, int wasIndex, int wasCount) {
    Place now = member.place();
    return new ConfigException("shard " + member.name() + " is number " + (now.index() + 1) + " of " + now.count()
        + " in the shard list now, but was number " + (wasIndex + 1) + " of " + wasCount
        + " when its data was written. Ids and emails route by the bucket directory stored on the shards, so the"
        + " shard list (TRELLIS_SHARD_URLS or --shards) must keep its order, and its count while the directory"
        + " records no shards; only the reshard program changes them.");
  }

  /** Runs {@code work} on the shard; failures name the shard, never the SQL. */
  private static <T> T use(Member member, String doing, Function<DSLContext, T> work) {
    try (Connection connection = member.dataSource().getConnection()) {
      return work.apply(DSL.using(connection, SQLDialect.POSTGRES));
    } catch (DataAccessException e) {
      if (UNDEFINED_TABLE.equals(e.sqlState())) {
        throw new ConfigException("shard " + member.name() + " has no trellis_shard table: run the migration job"
            + " first");
      }
      throw new IllegalStateException(doing + " shard " + member.name() + " failed (SQL state "
          + e.sqlState() + ")", e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot connect to shard " + member.name() + " (SQL state "
          + e.getSQLState() + ")", e);
    }
  }
}
