package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.testing.ShardsExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import dev.trellis.platform.data.route.ShardRecord;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** The bucket directory is stored on every shard, seeded at the first migration, and followed without a restart. */
class BucketDirectoryIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  private static final String MIGRATIONS = "classpath:db/testdata";
  private static final ShardPoolSettings FAST_POLL =
      ShardsExtension.SMALL_POOLS.withDirectoryPoll(Duration.ofMillis(100));

  @Test
  void theFirstMigrationSeedsTheEvenRangesOnEveryShard() {
    ShardTopology topology = shards.newDatabase("dir_seed");
    ShardMigrator.migrate(topology, MIGRATIONS);

    for (DSLContext shard : contexts(topology)) {
      assertThat(DirectoryStore.readLatest(shard)).contains(seed(topology));
    }
    try (ShardedDatabase db = ShardedDatabase.builder(topology).pool(FAST_POLL).build()) {
      assertThat(db.router().directory()).isEqualTo(seed(topology));
      assertThat(db.router().directory().ranges()).isEqualTo(BucketDirectory.evenRanges(4).ranges());
    }
  }

  @Test
  void aDirectoryStoredBeforeItRecordedShardsRecordsThemInTheNextVersion() {
    ShardTopology topology = shards.newDatabase("dir_unrecorded");
    ShardMigrator.migrate(topology, MIGRATIONS);
    for (DSLContext shard : contexts(topology)) {
      shard.execute("DELETE FROM trellis_directory_shard");
    }
    assertThat(DirectoryStore.readLatest(contexts(topology).get(0))).contains(BucketDirectory.evenRanges(4));

    ShardMigrator.migrate(topology, MIGRATIONS);

    BucketDirectory recorded = DirectoryStore.readLatest(contexts(topology).get(3)).orElseThrow();
    assertThat(recorded.version()).isEqualTo(2);
    assertThat(recorded.ranges()).isEqualTo(BucketDirectory.evenRanges(4).ranges());
    assertThat(recorded.shards()).isEqualTo(seed(topology).shards());
  }

  /** Version 1 as the first migration writes it: even ranges, and the shards recorded as the list names them. */
  private static BucketDirectory seed(ShardTopology topology) {
    List<ShardRecord> records = new ArrayList<>();
    for (int i = 0; i < topology.size(); i++) {
      records.add(new ShardRecord(i, topology.shards().get(i).jdbcUrl(), ShardRecord.State.ACTIVE));
    }
    return BucketDirectory.evenRanges(records);
  }

  @Test
  void aRunningDatabaseFollowsANewCompleteVersionAndIgnoresAnIncompleteOne() {
    ShardTopology topology = shards.newDatabase("dir_follow");
    ShardMigrator.migrate(topology, MIGRATIONS);
    try (ShardedDatabase db = ShardedDatabase.builder(topology).pool(FAST_POLL).build()) {
      BucketDirectory v2 = db.router().directory().withBucketMoved(5, 3);
      DirectoryStore.publish(contexts(topology), v2);

      await().atMost(Duration.ofSeconds(10)).until(() -> db.router().directory().version() == 2);
      assertThat(db.router().shardOfBucket(5)).isEqualTo(3);
      assertThat(db.shardOfBucket(5).index()).isEqualTo(3);

      // Version 3 written but never marked complete (its writer crashed between the passes): not followed.
      BucketDirectory v3 = v2.withBucketMoved(6, 2);
      for (DSLContext shard : contexts(topology)) {
        shard.transaction(tx -> {
          tx.dsl().execute("INSERT INTO trellis_directory_version (version, shard_count) VALUES (3, 4)");
          tx.dsl().execute("INSERT INTO trellis_bucket_directory VALUES (3, 0, 1023, 0)");
        });
      }
      // What the poller reads skips it.
      assertThat(DirectoryPoller.readNewest(db.shards())).contains(v2);
      for (DSLContext shard : contexts(topology)) {
        assertThat(DirectoryStore.latestVersion(shard)).isEqualTo(2);
      }

      // Publishing a version that is stored with another layout is refused.
      assertThat(catchThrowable(() -> DirectoryStore.publish(contexts(topology), v3)))
          .hasMessageContaining("another layout");
    }
  }

  @Test
  void aDatabaseMigratedBeforeTheDirectoryExistedIsSeededWithTheRangesItWasClaimedWith() throws Exception {
    ShardTopology topology = shards.newDatabase("dir_legacy");
    ShardMigrator.migrate(topology, MIGRATIONS);
    for (ShardSpec spec : topology.shards()) {
      try (Connection c = DriverManager.getConnection(spec.jdbcUrl(), spec.user(), spec.password());
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE trellis_directory_shard, trellis_bucket_directory, trellis_directory_version");
        s.execute("DELETE FROM flyway_schema_history WHERE script IN ('R__trellis_bucket_directory.sql',"
            + " 'R__trellis_directory_shards.sql')");
      }
    }

    ShardMigrator.migrate(topology, MIGRATIONS);

    for (DSLContext shard : contexts(topology)) {
      assertThat(DirectoryStore.readLatest(shard)).contains(seed(topology));
    }
  }

  private static List<DSLContext> contexts(ShardTopology topology) {
    return topology.shards().stream().map(BucketDirectoryIT::dataSource)
        .map(ds -> DSL.using(ds, SQLDialect.POSTGRES)).toList();
  }

  private static DataSource dataSource(ShardSpec spec) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(spec.jdbcUrl());
    ds.setUser(spec.user());
    ds.setPassword(spec.password());
    return ds;
  }
}
