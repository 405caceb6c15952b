package dev.trellis.platform.data;

import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** The test table of db/testdata, declared by hand: the platform itself generates no jOOQ classes. */
final class Items {
  static final String MIGRATIONS = "classpath:db/testdata";
  static final Table<Record> TABLE = DSL.table(DSL.name("items"));
  static final Field<Long> ID = DSL.field(DSL.name("id"), SQLDataType.BIGINT);
  static final Field<String> NAME = DSL.field(DSL.name("name"), SQLDataType.CLOB);
  static final Field<Integer> AMOUNT = DSL.field(DSL.name("amount"), SQLDataType.INTEGER);

  private Items() {}

  static void insert(Shard shard, long id, String name) {
    shard.read(dsl -> dsl.insertInto(TABLE).set(ID, id).set(NAME, name).execute());
  }

  static int count(Shard shard) {
    return shard.read(dsl -> dsl.fetchCount(TABLE));
  }
}
