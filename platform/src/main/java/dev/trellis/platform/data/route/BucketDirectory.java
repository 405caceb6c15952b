package dev.trellis.platform.data.route;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Which physical shard holds each of the {@link ShardId#BUCKETS} logical buckets. Immutable: moving a bucket
 * (resharding, a later issue) builds a new directory with {@link #withBucketMoved} and swaps it in, with no change
 * to keys, ids or the data model.
 */
public final class BucketDirectory {
  private final int[] shardOfBucket;
  private final int shardCount;

  private BucketDirectory(int[] shardOfBucket, int shardCount) {
    this.shardOfBucket = shardOfBucket;
    this.shardCount = shardCount;
  }

  /** The default layout: shard {@code s} holds the contiguous range {@code [s*1024/n, (s+1)*1024/n)}. */
  public static BucketDirectory evenRanges(int shardCount) {
    if (shardCount < 1 || shardCount > ShardId.BUCKETS) {
      throw new IllegalArgumentException("shard count must be in [1, " + ShardId.BUCKETS + "], got " + shardCount);
    }
    int[] map = new int[ShardId.BUCKETS];
    for (int b = 0; b < map.length; b++) {
      map[b] = (int) ((long) b * shardCount / ShardId.BUCKETS);
    }
    return new BucketDirectory(map, shardCount);
  }

  /** An explicit layout: {@code shardOfBucket[b]} is the shard of bucket {@code b}, in {@code [0, shardCount)}. */
  public static BucketDirectory of(int[] shardOfBucket, int shardCount) {
    requireNonNull(shardOfBucket, "shardOfBucket");
    if (shardOfBucket.length != ShardId.BUCKETS) {
      throw new IllegalArgumentException("a directory maps exactly " + ShardId.BUCKETS + " buckets");
    }
    for (int shard : shardOfBucket) {
      if (shard < 0 || shard >= shardCount) {
        throw new IllegalArgumentException("shard " + shard + " is outside [0, " + shardCount + ")");
      }
    }
    return new BucketDirectory(shardOfBucket.clone(), shardCount);
  }

  public int shardOf(int bucket) {
    ShardId.checkBucket(bucket);
    return shardOfBucket[bucket];
  }

  public int shardCount() {
    return shardCount;
  }

  /** The buckets a shard holds, ascending. */
  public int[] bucketsOf(int shard) {
    return IntStream.range(0, ShardId.BUCKETS).filter(b -> shardOfBucket[b] == shard).toArray();
  }

  /** A copy in which {@code bucket} lives on {@code shard}. */
  public BucketDirectory withBucketMoved(int bucket, int shard) {
    ShardId.checkBucket(bucket);
    if (shard < 0 || shard >= shardCount) {
      throw new IllegalArgumentException("shard " + shard + " is outside [0, " + shardCount + ")");
    }
    int[] map = shardOfBucket.clone();
    map[bucket] = shard;
    return new BucketDirectory(map, shardCount);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BucketDirectory d && d.shardCount == shardCount
        && Arrays.equals(d.shardOfBucket, shardOfBucket);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shardOfBucket) * 31 + shardCount;
  }
}
