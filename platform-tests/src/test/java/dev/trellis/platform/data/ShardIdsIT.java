package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.data.route.ShardId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class ShardIdsIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate(Items.MIGRATIONS);

  @Test
  void idsGeneratedConcurrentlyOnEveryShardAreUnique() throws Exception {
    Set<Long> ids = ConcurrentHashMap.newKeySet();
    int threads = 16;
    int perThread = 400;
    List<Future<?>> done = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < threads; t++) {
        // Half the threads hammer one bucket, so the sequence alone must keep same-millisecond ids apart.
        boolean sameBucket = t % 2 == 0;
        done.add(executor.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            int bucket = sameBucket ? 7 : ThreadLocalRandom.current().nextInt(ShardId.BUCKETS);
            ids.add(shards.database().shardOfBucket(bucket).nextId(bucket));
          }
          return null;
        }));
      }
    }
    for (Future<?> f : done) {
      f.get();
    }
    assertThat(ids).hasSize(threads * perThread).allSatisfy(id -> assertThat(id).isPositive());
  }

  @Test
  void idsCarryTheirBucketAndTimeAndRouteBackToTheirShard() {
    Instant before = Instant.now().minusMillis(1);
    for (int bucket : new int[] {0, 1, 255, 256, 511, 512, 767, 768, 1023}) {
      Shard shard = shards.database().shardOfBucket(bucket);
      long id = shard.nextId(bucket);
      assertThat(ShardId.bucketOf(id)).isEqualTo(bucket);
      assertThat(shards.database().shardOfId(id)).isSameAs(shard);
      assertThat(ShardId.timestampOf(id)).isBetween(before, Instant.now().plusMillis(1));
    }
  }

  @Test
  void idsFollowTheClockOfTheirShard() {
    Shard shard = shards.database().shardOfBucket(300);
    Instant previous = Instant.EPOCH;
    for (int i = 0; i < 2000; i++) {
      Instant t = ShardId.timestampOf(shard.nextId(300));
      assertThat(t).isAfterOrEqualTo(previous);
      previous = t;
    }
  }

  @Test
  void idMadeForAUsersBucketLivesOnTheUsersShard() {
    for (int i = 0; i < 50; i++) {
      int userBucket = shards.database().router().randomBucket();
      long userId = shards.database().shardOfBucket(userBucket).nextId(userBucket);
      // An order of that user: generated on the user's shard, for the user's bucket.
      long orderId = shards.database().shardOfId(userId).nextId(ShardId.bucketOf(userId));
      assertThat(shards.database().shardOfId(orderId)).isSameAs(shards.database().shardOfId(userId));
      assertThat(ShardId.bucketOf(orderId)).isEqualTo(userBucket);
      assertThat(orderId).isNotEqualTo(userId);
    }
  }
}
