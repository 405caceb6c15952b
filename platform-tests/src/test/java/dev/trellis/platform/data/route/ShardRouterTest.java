package dev.trellis.platform.data.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardRouterTest {
  private final ShardRouter router = new ShardRouter(BucketDirectory.evenRanges(4));

  @Test
  void sameKeyGivesSameBucketAndShardOnEveryCall() {
    for (int i = 0; i < 100; i++) {
      assertThat(ShardRouter.bucketOfKey("alice@example.com")).isEqualTo(ShardRouter.bucketOfKey("alice@example.com"));
      assertThat(router.shardOfKey("alice@example.com")).isEqualTo(router.shardOfKey("alice@example.com"));
    }
  }

  @Test
  void knownKeysKeepTheirBucketForever() {
    // Data placement depends on these values: if this test fails, stored rows would become unreachable.
    assertThat(ShardRouter.bucketOfKey("alice@example.com")).isEqualTo(ALICE_BUCKET);
    assertThat(ShardRouter.bucketOfKey("")).isEqualTo(EMPTY_BUCKET);
    assertThat(ShardRouter.bucketOfKey("Zoë@例え.jp")).isEqualTo(UNICODE_BUCKET);
    assertThat(router.shardOfKey("alice@example.com")).isEqualTo(ALICE_BUCKET * 4 / 1024);
  }

  @Test
  void randomKeysSpreadEvenlyOverFourShardsWithinTenPercent() {
    Random random = new Random(42);
    int[] counts = new int[4];
    int keys = 100_000;
    for (int i = 0; i < keys; i++) {
      counts[router.shardOfKey("user" + random.nextLong() + "@example.com")]++;
    }
    for (int count : counts) {
      assertThat(count).isBetween((int) (keys / 4 * 0.9), (int) (keys / 4 * 1.1));
    }
  }

  @Test
  void randomBucketsSpreadEvenlyOverFourShardsWithinTenPercent() {
    int[] counts = new int[4];
    int draws = 100_000;
    for (int i = 0; i < draws; i++) {
      counts[router.shardOfBucket(router.randomBucket())]++;
    }
    for (int count : counts) {
      assertThat(count).isBetween((int) (draws / 4 * 0.9), (int) (draws / 4 * 1.1));
    }
  }

  @Test
  void evenRangesAreContiguousAndEqual() {
    BucketDirectory dir = BucketDirectory.evenRanges(4);
    assertThat(dir.bucketsOf(0)).hasSize(256).startsWith(0).endsWith(255);
    assertThat(dir.bucketsOf(3)).hasSize(256).startsWith(768).endsWith(1023);
    assertThat(BucketDirectory.evenRanges(3).bucketsOf(0)).hasSize(342);
  }

  @Test
  void anIdRoutesByItsBucketBitsAlone() {
    long id = ShardId.of(ShardId.EPOCH.plusSeconds(1000), 700, 5);
    assertThat(router.shardOfId(id)).isEqualTo(2);
    assertThat(router.shardOfId(id)).isEqualTo(router.shardOfBucket(ShardId.bucketOf(id)));
  }

  @Test
  void movingABucketIsADirectoryChangeOnly() {
    BucketDirectory before = BucketDirectory.evenRanges(4);
    BucketDirectory after = before.withBucketMoved(5, 3);
    assertThat(new ShardRouter(after).shardOfBucket(5)).isEqualTo(3);
    assertThat(new ShardRouter(before).shardOfBucket(5)).isZero();
    assertThat(after.bucketsOf(3)).hasSize(257);
    assertThatThrownBy(() -> before.withBucketMoved(5, 4)).isInstanceOf(IllegalArgumentException.class);
  }

  private static final int ALICE_BUCKET = 230;
  private static final int EMPTY_BUCKET = 0;
  private static final int UNICODE_BUCKET = 318;

  @Test
  void aDirectoryStoresAsRangesAndReadsBackTheSame() {
    BucketDirectory moved = BucketDirectory.evenRanges(4).withBucketMoved(5, 3);
    assertThat(moved.version()).isEqualTo(2);
    assertThat(moved.ranges()).containsExactly(new BucketDirectory.Range(0, 4, 0), new BucketDirectory.Range(5, 5, 3),
        new BucketDirectory.Range(6, 255, 0), new BucketDirectory.Range(256, 511, 1),
        new BucketDirectory.Range(512, 767, 2), new BucketDirectory.Range(768, 1023, 3));
    assertThat(BucketDirectory.ofRanges(2, moved.ranges(), 4)).isEqualTo(moved);
  }

  @Test
  void aRouterSwapsInOnlyANewerVersion() {
    BucketDirectory v1 = BucketDirectory.evenRanges(4);
    ShardRouter swapping = new ShardRouter(v1);
    BucketDirectory v2 = v1.withBucketMoved(5, 3);

    assertThat(swapping.update(v2)).isTrue();
    assertThat(swapping.update(v1)).isFalse();
    assertThat(swapping.shardOfBucket(5)).isEqualTo(3);
    // The shard set may change with a version: the database opened the new shards' pools before the swap.
    assertThat(swapping.update(BucketDirectory.of(3, new int[ShardId.BUCKETS], 2))).isTrue();
    assertThat(swapping.directory().shardCount()).isEqualTo(2);
  }

  @Test
  void aDirectoryRecordsItsShardsWithDrainedOnesLastAndOwningNothing() {
    List<ShardRecord> four = IntStream.range(0, 4)
        .mapToObj(i -> new ShardRecord(i, "jdbc:postgresql://h" + i + "/users", ShardRecord.State.ACTIVE)).toList();
    BucketDirectory seed = BucketDirectory.evenRanges(four);
    List<ShardRecord> six = new ArrayList<>(four);
    six.add(new ShardRecord(4, "jdbc:postgresql://h4/users", ShardRecord.State.JOINING));
    six.add(new ShardRecord(5, "jdbc:postgresql://h5/users", ShardRecord.State.JOINING));

    BucketDirectory grown = seed.withShards(six).withBucketMoved(7, 5);

    assertThat(grown.version()).isEqualTo(3);
    assertThat(grown.shardCount()).isEqualTo(6);
    assertThat(grown.shards()).isEqualTo(six);
    assertThat(grown.shardOf(7)).isEqualTo(5);
    List<ShardRecord> drainedFive = new ArrayList<>(six);
    drainedFive.set(5, six.get(5).with(ShardRecord.State.DRAINED));
    assertThatThrownBy(() -> grown.withShards(drainedFive)).hasMessageContaining("maps to drained shard 5");
    List<ShardRecord> drainedFirst = new ArrayList<>(six);
    drainedFirst.set(4, six.get(4).with(ShardRecord.State.DRAINED));
    assertThatThrownBy(() -> seed.withShards(drainedFirst)).hasMessageContaining("drained ones are last");
    assertThatThrownBy(() -> seed.withShards(four.subList(0, 3))).hasMessageContaining("beyond the 3 shards");
  }

  @Test
  void aShardRecordKeepsNoCredentials() {
    assertThat(ShardRecord.withoutCredentials("jdbc:postgresql://db:5432/users?user=u&password=p&ssl=true"))
        .isEqualTo("jdbc:postgresql://db:5432/users?ssl=true");
    assertThat(ShardRecord.withoutCredentials("jdbc:postgresql://db/users?password=p")).isEqualTo(
        "jdbc:postgresql://db/users");
    assertThatThrownBy(() -> new ShardRecord(0, "jdbc:postgresql://db/u?password=secret", ShardRecord.State.ACTIVE))
        .hasMessageContaining("carries credentials").hasMessageNotContaining("secret");
  }
}
