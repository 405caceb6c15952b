package dev.trellis.platform.data;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import dev.trellis.platform.config.ConfigException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record2;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * A shard's place in its topology, written on the shard the first time it is migrated and checked on every later
 * migration. Routing follows the place (the default bucket directory gives shard i of n a fixed bucket range), so a
 * shard list that changed, in count or in order, would route existing ids and emails to shards that do not hold
 * them: silent NOT_FOUNDs and duplicate emails. Refusing to start is the only safe answer until buckets can be moved.
 */
final class ShardClaim {
  private static final Table<?> TABLE = table(name("trellis_shard"));
  private static final Field<Integer> INDEX = field(name("shard_index"), Integer.class);
  private static final Field<Integer> COUNT = field(name("shard_count"), Integer.class);

  private ShardClaim() {}

  /**
   * Claims the shard as number {@code index} of {@code count}, or checks the earlier claim.
   *
   * @throws ConfigException when the shard was first used at another place
   */
  static void claimOrCheck(DataSource dataSource, String shardName, int index, int count) {
    Record2<Integer, Integer> claimed;
    try (Connection connection = dataSource.getConnection()) {
      DSLContext dsl = DSL.using(connection, SQLDialect.POSTGRES);
      dsl.insertInto(TABLE).columns(INDEX, COUNT).values(index, count).onConflictDoNothing().execute();
      claimed = dsl.select(INDEX, COUNT).from(TABLE).fetchSingle();
    } catch (SQLException e) {
      throw new IllegalStateException("reading the place of shard " + shardName + " failed", e);
    }
    if (claimed.value1() != index || claimed.value2() != count) {
      throw new ConfigException("shard " + shardName + " is number " + (index + 1) + " of " + count
          + " in the shard list now, but was number " + (claimed.value1() + 1) + " of " + claimed.value2()
          + " when its data was written. Ids and emails route by that place, so the shard list (TRELLIS_SHARD_URLS"
          + " or --shards) must keep its count and order; moving data between shards is not supported yet.");
    }
  }
}
