package dev.trellis.platform.data.route;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which physical shard holds each of the {@link ShardId#BUCKETS} logical buckets, at one version. Immutable: moving
 * a bucket builds a new directory with {@link #withBucketMoved} (the next version), which is stored on every shard
 * ({@code trellis_bucket_directory}) and swapped into each replica's {@link ShardRouter}, with no change to keys, ids
 * or the data model. Version 1 is the seed: {@link #evenRanges}.
 */
public final class BucketDirectory {
  /** A run of consecutive buckets {@code [first, last]} on one shard: how the directory is stored. */
  public record Range(int first, int last, int shard) {}

  private final long version;
  private final int[] shardOfBucket;
  private final int shardCount;

  private BucketDirectory(long version, int[] shardOfBucket, int shardCount) {
    if (version < 1) {
      throw new IllegalArgumentException("a directory version is at least 1, got " + version);
    }
    this.version = version;
    this.shardOfBucket = shardOfBucket;
    this.shardCount = shardCount;
  }

  /** The default layout, version 1: shard {@code s} holds the contiguous range {@code [s*1024/n, (s+1)*1024/n)}. */
  public static BucketDirectory evenRanges(int shardCount) {
    if (shardCount < 1 || shardCount > ShardId.BUCKETS) {
      throw new IllegalArgumentException("shard count must be in [1, " + ShardId.BUCKETS + "], got " + shardCount);
    }
    int[] map = new int[ShardId.BUCKETS];
    for (int b = 0; b < map.length; b++) {
      map[b] = (int) ((long) b * shardCount / ShardId.BUCKETS);
    }
    return new BucketDirectory(1, map, shardCount);
  }

  /** An explicit layout at version 1: {@code shardOfBucket[b]} is the shard of bucket {@code b}. */
  public static BucketDirectory of(int[] shardOfBucket, int shardCount) {
    return of(1, shardOfBucket, shardCount);
  }

  /** An explicit layout: {@code shardOfBucket[b]} is the shard of bucket {@code b}, in {@code [0, shardCount)}. */
  public static BucketDirectory of(long version, int[] shardOfBucket, int shardCount) {
    requireNonNull(shardOfBucket, "shardOfBucket");
    if (shardOfBucket.length != ShardId.BUCKETS) {
      throw new IllegalArgumentException("a directory maps exactly " + ShardId.BUCKETS + " buckets");
    }
    for (int shard : shardOfBucket) {
      if (shard < 0 || shard >= shardCount) {
        throw new IllegalArgumentException("shard " + shard + " is outside [0, " + shardCount + ")");
      }
    }
    return new BucketDirectory(version, shardOfBucket.clone(), shardCount);
  }

  /** The layout stored as ranges, as {@link #ranges()} gives them; every bucket must be covered exactly once. */
  public static BucketDirectory ofRanges(long version, List<Range> ranges, int shardCount) {
    requireNonNull(ranges, "ranges");
    int[] map = new int[ShardId.BUCKETS];
    Arrays.fill(map, -1);
    for (Range r : ranges) {
      for (int b = r.first(); b <= r.last(); b++) {
        ShardId.checkBucket(b);
        if (map[b] != -1) {
          throw new IllegalArgumentException("bucket " + b + " is in two ranges of directory version " + version);
        }
        map[b] = r.shard();
      }
    }
    for (int b = 0; b < map.length; b++) {
      if (map[b] == -1) {
        throw new IllegalArgumentException("bucket " + b + " is in no range of directory version " + version);
      }
    }
    return of(version, map, shardCount);
  }

  /** Which version this is: a newer directory has a higher one. */
  public long version() {
    return version;
  }

  /** The layout as maximal runs of consecutive buckets on one shard, ascending. */
  public List<Range> ranges() {
    List<Range> ranges = new ArrayList<>();
    int first = 0;
    for (int b = 1; b <= shardOfBucket.length; b++) {
      if (b == shardOfBucket.length || shardOfBucket[b] != shardOfBucket[first]) {
        ranges.add(new Range(first, b - 1, shardOfBucket[first]));
        first = b;
      }
    }
    return ranges;
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

  /** The next version, in which {@code bucket} lives on {@code shard}. */
  public BucketDirectory withBucketMoved(int bucket, int shard) {
    ShardId.checkBucket(bucket);
    if (shard < 0 || shard >= shardCount) {
      throw new IllegalArgumentException("shard " + shard + " is outside [0, " + shardCount + ")");
    }
    int[] map = shardOfBucket.clone();
    map[bucket] = shard;
    return new BucketDirectory(version + 1, map, shardCount);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BucketDirectory d && d.version == version && d.shardCount == shardCount
        && Arrays.equals(d.shardOfBucket, shardOfBucket);
  }

  @Override
  public int hashCode() {
    return (Arrays.hashCode(shardOfBucket) * 31 + shardCount) * 31 + Long.hashCode(version);
  }

  @Override
  public String toString() {
    return "BucketDirectory[version " + version + ", " + shardCount + " shards]";
  }
}
