package dev.trellis.platform.data;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import dev.trellis.platform.config.ConfigException;
import java.sql.Connection;
import java.sql.SQLException;
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
 * A shard's place in its topology, recorded on the shard the first time it is migrated and checked on every later
 * start. Routing follows the place (the default bucket directory gives shard i of n a fixed bucket range), so a
 * shard list that changed, in count or in order, would route existing ids and emails to shards that do not hold
 * them: silent NOT_FOUNDs and duplicate emails. Refusing to start is the only safe answer until buckets can be moved.
 */
final class ShardClaim {
  private static final Table<?> TABLE = table(name("trellis_shard"));
  private static final Field<Integer> INDEX = field(name("shard_index"), Integer.class);
  private static final Field<Integer> COUNT = field(name("shard_count"), Integer.class);
  private static final String UNDEFINED_TABLE = "42P01";

  /** Shard {@code index + 1} of {@code count}, as recorded. */
  record Place(int index, int count) {}

  /** One shard of the topology being started: its name, where its database is, and its place in the list now. */
  record Member(String name, DataSource dataSource, Place place) {}

  private ShardClaim() {}

  /**
   * Checks the recorded place of every shard first, and only then records the place of the shards that have none,
   * so that a refused start (a list grown from 4 to 6 shards, say) leaves no new shard claimed at a wrong place.
   *
   * @param recordMissing whether to record the place of unclaimed shards (migrating), or refuse them (checking
   *     that a migration job ran)
   * @throws ConfigException when a shard was first used at another place, or is unclaimed while checking
   */
  static void checkAll(List<Member> members, boolean recordMissing) {
    for (Member member : members) {
      Optional<Place> recorded = read(member);
      if (recorded.isEmpty() && !recordMissing) {
        throw new ConfigException("shard " + member.name() + " has no recorded place in the shard list: run the"
            + " migration job first");
      }
      recorded.ifPresent(place -> requireSame(member, place));
    }
    if (recordMissing) {
      for (Member member : members) {
        // Replicas starting at once may race here: the first insert wins, and every one checks what won.
        Place place = member.place();
        use(member, dsl -> dsl.insertInto(TABLE).columns(INDEX, COUNT).values(place.index(), place.count())
            .onConflictDoNothing().execute());
        requireSame(member, read(member).orElseThrow());
      }
    }
  }

  private static Optional<Place> read(Member member) {
    return use(member, dsl -> dsl.select(INDEX, COUNT).from(TABLE).fetchOptional(r -> new Place(r.value1(),
        r.value2())));
  }

  private static void requireSame(Member member, Place recorded) {
    Place now = member.place();
    if (!recorded.equals(now)) {
      throw new ConfigException("shard " + member.name() + " is number " + (now.index() + 1) + " of " + now.count()
          + " in the shard list now, but was number " + (recorded.index() + 1) + " of " + recorded.count()
          + " when its data was written. Ids and emails route by that place, so the shard list (TRELLIS_SHARD_URLS"
          + " or --shards) must keep its count and order; moving data between shards is not supported yet.");
    }
  }

  /** Runs {@code work} on the shard; failures name the shard, never the SQL. */
  private static <T> T use(Member member, Function<DSLContext, T> work) {
    try (Connection connection = member.dataSource().getConnection()) {
      return work.apply(DSL.using(connection, SQLDialect.POSTGRES));
    } catch (DataAccessException e) {
      if (UNDEFINED_TABLE.equals(e.sqlState())) {
        throw new ConfigException("shard " + member.name() + " has no trellis_shard table: run the migration job"
            + " first");
      }
      throw new IllegalStateException("reading the place of shard " + member.name() + " failed (SQL state "
          + e.sqlState() + ")", e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot connect to shard " + member.name() + " (SQL state "
          + e.getSQLState() + ")", e);
    }
  }
}
