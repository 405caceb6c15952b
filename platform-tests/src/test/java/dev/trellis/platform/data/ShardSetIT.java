package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRecord;
import dev.trellis.testing.ShardsExtension;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bucket directory is the authority for the shard set: a shard registered in it joins every running database
 * (a pool opens at the next poll, no restart), serves the buckets moved to it, and leaves when the directory marks
 * it drained; the configured list is only the seed.
 */
class ShardSetIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  static final String MIGRATIONS = "classpath:db/fenceddata";
  private static final ShardPoolSettings FAST_POLL =
      ShardsExtension.SMALL_POOLS.withDirectoryPoll(Duration.ofMillis(100));
  private static final int BUCKET = 700; // on shard 2 of 4

  @Test
  void aShardJoinsServesABucketAndLeavesWhileADatabaseRunsWithoutARestart() {
    ShardTopology four = shards.newDatabase("set_four");
    ShardMigrator.migrate(four, MIGRATIONS);
    ShardTopology five = withFifth(four, "set_four_fifth");
    try (ShardedDatabase db = ShardedDatabase.builder(four).kind("test").pool(FAST_POLL).build()) {
      long id = ShardId.of(Instant.now(), BUCKET, 1);
      db.shardOfId(id).read(dsl -> dsl.execute("INSERT INTO accounts (id, balance) VALUES (?, 1)", id));
      assertThat(db.shards()).hasSize(4);

      BucketDirectory joined = ShardMigrator.join(five, 5, MIGRATIONS);

      assertThat(joined.shards()).extracting(ShardRecord::state).containsExactly(ShardRecord.State.ACTIVE,
          ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.JOINING);
      assertThat(joined.shards().get(4).jdbcUrl()).isEqualTo(five.shards().get(4).jdbcUrl());
      await().atMost(Duration.ofSeconds(10)).until(() -> db.shards().size() == 5);
      assertThat(db.shard(4).name()).isEqualTo("shard-4");

      BucketMover.builder(db).deleteAfter(Duration.ofMillis(300)).build().move(BUCKET, 4);

      await().atMost(Duration.ofSeconds(10)).until(() -> db.shardOfId(id).index() == 4);
      PointReads<Record> reads = db.pointReads(DSL.table("accounts"), DSL.field("id", Long.class));
      assertThat(reads.fetch(id)).isPresent();
      WeakReference<Shard> fifth = new WeakReference<>(db.shard(4));
      db.shardOfId(id).read(dsl -> dsl.execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", id));
      assertThat(balance(ShardsExtension.dsl(five.shards().get(4)), id)).isEqualTo(2);
      assertThat(ShardsExtension.dsl(four.shards().get(2)).fetchCount(DSL.table("accounts"))).isZero();
      // A replica started later with the old list (the seed) opens the fifth shard from the directory.
      try (ShardedDatabase late = ShardedDatabase.builder(four).kind("test").pool(FAST_POLL).build()) {
        assertThat(late.shards()).hasSize(5);
        assertThat(balance(late, id)).isEqualTo(2);
      }
      assertThatCode(() -> ShardMigrator.migrate(four, MIGRATIONS)).as("a shorter seed list").doesNotThrowAnyException();
      assertThatCode(() -> ShardMigrator.migrate(five, MIGRATIONS)).doesNotThrowAnyException();

      // It leaves: its bucket goes back, and the directory marks it drained.
      BucketMover.builder(db).deleteAfter(Duration.ofMillis(300)).build().move(BUCKET, 2);
      List<DSLContext> contexts = five.shards().stream().map(ShardsExtension::dsl).toList();
      BucketDirectory now = DirectoryStore.readNewest(contexts).orElseThrow();
      List<ShardRecord> records = new ArrayList<>(now.shards());
      records.set(4, records.get(4).with(ShardRecord.State.DRAINED));
      DirectoryStore.publish(contexts.subList(0, 4), now.withShards(records));

      await().atMost(Duration.ofSeconds(10)).until(() -> db.shards().size() == 4);
      assertThatThrownBy(() -> db.shard(4)).hasMessageContaining("no open shard 4");
      assertThat(balance(db, id)).isEqualTo(2);
      assertThat(reads.fetch(id)).isPresent();
      // Once its pool is closed nothing holds the shard that left (its read batcher included).
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        System.gc();
        return fifth.get() == null;
      });
    }
  }

  @Test
  void aListNamingAShardTheDirectoryLacksIsRefusedAndClaimsNothing() {
    ShardTopology four = shards.newDatabase("set_refused");
    ShardMigrator.migrate(four, MIGRATIONS);
    ShardTopology five = withFifth(four, "set_refused_fifth");

    assertThatThrownBy(() -> ShardMigrator.migrate(five, MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("shard-4 is number 5 of 5 in the shard list now, but the bucket directory names 4")
        .hasMessageContaining("reshard")
        .hasMessageNotContaining("jdbc:");
    assertThatThrownBy(() -> ShardMigrator.join(five, 6, MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("shard 6 of 6 is not in the bucket directory yet");
    assertThat(ShardsExtension.dsl(five.shards().get(4)).fetchCount(DSL.table("trellis_shard"))).isZero();
    // What a service and the migration job start on: the shards the directory records (the fifth waits for it).
    assertThat(ShardMigrator.joined(five)).isEqualTo(four);
    assertThat(ShardMigrator.joined(four)).isEqualTo(four);
  }

  /** The four shards, and a fifth: another database on the first server (a shard is a database URL). */
  static ShardTopology withFifth(ShardTopology four, String name) {
    ShardSpec spare = shards.newDatabase(name).shards().get(0);
    List<ShardSpec> specs = new ArrayList<>(four.shards());
    specs.add(new ShardSpec(ShardTopology.shardName(4), spare.jdbcUrl(), spare.user(), spare.password()));
    return new ShardTopology(specs);
  }

  private static long balance(ShardedDatabase db, long id) {
    return db.shardOfId(id).read(dsl -> balance(dsl, id));
  }

  private static long balance(DSLContext shard, long id) {
    return shard.fetchValue("SELECT balance FROM accounts WHERE id = ?", id) instanceof Long l ? l : -1;
  }

}
