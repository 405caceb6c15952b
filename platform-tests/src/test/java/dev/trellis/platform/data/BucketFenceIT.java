package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.ShardsExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A shard refuses, inside the transaction, a write for a bucket it does not own; the platform answers UNAVAILABLE. */
class BucketFenceIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate(Items.MIGRATIONS);

  @Test
  void theDatabaseHashesKeysToTheSameBucketsAsTheRouter() {
    Random random = new Random(16);
    List<String> keys = new ArrayList<>(List.of("", "a", "ab", "abc", "abcd", "abcde", "ünïcødé@例え.jp", "😀x"));
    for (int i = 0; i < 300; i++) {
      StringBuilder key = new StringBuilder();
      int length = random.nextInt(40);
      for (int c = 0; c < length; c++) {
        key.appendCodePoint(random.nextInt(4) == 0 ? 0x80 + random.nextInt(0x3000) : 0x20 + random.nextInt(0x5f));
      }
      keys.add(key.toString());
    }
    DSLContext shard = DSL.using(shards.database().shard(0).dataSource(), SQLDialect.POSTGRES);
    for (String key : keys) {
      Integer bucket = shard.select(DSL.function("trellis_bucket_of_key", Integer.class, DSL.val(key)))
          .fetchSingle().value1();
      assertThat(bucket).as(key).isEqualTo(ShardRouter.bucketOfKey(key));
    }
  }

  @Test
  void aWriteForABucketThatMovedIsRefusedWholeAndTheRouterCatchesUp() {
    ShardedDatabase db = shards.freshDatabase("fence");
    for (var shard : db.shards()) {
      shard.read(dsl -> dsl.execute("CREATE TABLE fenced (id bigint PRIMARY KEY, note text);"
          + " CREATE TRIGGER fenced_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON fenced"
          + " FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id')"));
    }
    int bucket = 700; // shard 2 of 4
    long before = ShardId.of(Instant.now(), bucket, 1);
    Shard owner = db.shardOfBucket(bucket);
    assertThat(owner.index()).isEqualTo(2);
    owner.read(dsl -> dsl.execute("INSERT INTO fenced VALUES (?, 'before')", before));

    // The bucket moves to shard 3 in the tables; this database has not seen it yet (it polls every 2 s at most).
    BucketDirectory moved = db.router().directory().withBucketMoved(bucket, 3);
    DirectoryStore.publish(contexts(db), moved);

    Throwable refused = catchThrowable(() -> owner.transaction(dsl -> {
      dsl.execute("INSERT INTO fenced VALUES (?, 'other bucket')", ShardId.of(Instant.now(), 600, 1));
      return dsl.execute("UPDATE fenced SET note = 'after' WHERE id = ?", before);
    }));
    assertThat(refused).isInstanceOf(UnavailableException.class)
        .hasMessage("the test data moved to another shard; retry");
    assertThat(((UnavailableException) refused).retryDelay()).isPositive();
    String note = owner.read(dsl -> dsl.fetchValue("SELECT note FROM fenced WHERE id = ?", before).toString());
    int rows = owner.read(dsl -> dsl.fetchCount(DSL.table("fenced")));
    assertThat(note).as("nothing of the refused transaction stays").isEqualTo("before");
    assertThat(rows).isEqualTo(1);

    await().atMost(Duration.ofSeconds(10)).until(() -> db.router().directory().equals(moved));
    assertThat(db.shardOfBucket(bucket).index()).isEqualTo(3);
    db.shardOfBucket(bucket).read(dsl -> dsl.execute("INSERT INTO fenced VALUES (?, 'moved')", before + 1));
    // A bucket that did not move still writes on its shard.
    owner.read(dsl -> dsl.execute("INSERT INTO fenced VALUES (?, 'stays')", ShardId.of(Instant.now(), 600, 2)));
  }

  @Test
  void eachShardOwnsTheBucketsTheSeededDirectoryGivesIt() {
    ShardedDatabase db = shards.database();
    for (Shard shard : db.shards()) {
      List<Integer> owned = shard.read(dsl -> dsl.fetch("SELECT bucket FROM trellis_bucket_owner ORDER BY bucket")
          .getValues(0, Integer.class));
      assertThat(owned).containsExactly(Arrays.stream(db.router().directory().bucketsOf(shard.index()))
          .boxed().toArray(Integer[]::new));
    }
  }

  private static List<DSLContext> contexts(ShardedDatabase db) {
    return db.shards().stream().map(s -> DSL.using(s.dataSource(), SQLDialect.POSTGRES)).toList();
  }
}
