package dev.trellis.platform.data;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import dev.trellis.platform.config.ConfigException;
import java.sql.Connection;
import java.sql.SQLException;
import dev.trellis.platform.data.route.BucketDirectory;
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
 * A shard's place in its topology, and the bucket directory that routes to it. Each shard records its index in the
 * shard list the first time it is migrated, and every shard holds the bucket directory (see {@link DirectoryStore}),
 * which names how many shards there are. A start is a claim on both: the list must hold each shard at its recorded
 * index, and as many shards as the directory names. A changed list (count or order) would route existing ids and
 * emails to shards that do not hold them: silent NOT_FOUNDs and duplicate emails, so the start refuses in one line.
 * Only publishing a new directory version (moving buckets) changes the count.
 */
final class ShardClaim {
  private static final Table<?> TABLE = table(name("trellis_shard"));
  private static final Field<Integer> INDEX = field(name("shard_index"), Integer.class);
  private static final Field<Integer> COUNT = field(name("shard_count"), Integer.class);
  private static final String UNDEFINED_TABLE = "42P01";

  /** Shard {@code index + 1} of {@code count}. */
  record Place(int index, int count) {}

  /** One shard of the topology being started: its name, where its database is, and its place in the list now. */
  record Member(String name, DataSource dataSource, Place place) {}

  private ShardClaim() {}

  /**
   * Checks the recorded index of every shard and the directory's shard count first, and only then records what is
   * missing (the index of unclaimed shards; the directory, seeded with even ranges, where no shard holds one), so
   * that a refused start (a list grown from 4 to 6 shards, say) leaves no new shard claimed at a wrong place.
   *
   * @param recordMissing whether to record missing places and seed a missing directory (migrating), or refuse them
   *     (checking that a migration job ran)
   * @return the directory the shards hold now
   * @throws ConfigException when a shard was first used at another place, or the directory names another number of
   *     shards, or something is missing while checking
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
    BucketDirectory directory = stored.orElseGet(() -> BucketDirectory.evenRanges(
        recorded.stream().flatMap(Optional::stream).findFirst().map(Place::count).orElse(members.size())));
    for (Member member : members) {
      requireCount(member, directory);
    }
    if (recordMissing) {
      for (Member member : members) {
        // Replicas starting at once may race here: the first insert wins, and every one checks what won.
        Place place = member.place();
        use(member, "recording the place of", dsl -> dsl.insertInto(TABLE).columns(INDEX, COUNT)
            .values(place.index(), place.count()).onConflictDoNothing().execute());
        requireSameIndex(member, read(member).orElseThrow());
      }
      if (stored.isEmpty()) {
        use(members.get(0), "seeding the bucket directory of", dsl -> {
          DirectoryStore.publish(contexts(members), directory);
          return null;
        });
      }
    }
    return directory;
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

  private static void requireCount(Member member, BucketDirectory directory) {
    if (directory.shardCount() != member.place().count()) {
      throw moved(member, member.place().index(), directory.shardCount());
    }
  }

  private static ConfigException moved(Member member, int wasIndex, int wasCount) {
    Place now = member.place();
    return new ConfigException("shard " + member.name() + " is number " + (now.index() + 1) + " of " + now.count()
        + " in the shard list now, but was number " + (wasIndex + 1) + " of " + wasCount
        + " when its data was written. Ids and emails route by the bucket directory stored on the shards, so the"
        + " shard list (TRELLIS_SHARD_URLS or --shards) must keep its count and order; only moving buckets"
        + " changes them.");
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
