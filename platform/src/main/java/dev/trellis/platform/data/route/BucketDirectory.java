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
  private final List<ShardRecord> shards;

  private BucketDirectory(long version, int[] shardOfBucket, int shardCount, List<ShardRecord> shards) {
    if (version < 1) {
      throw new IllegalArgumentException("a directory version is at least 1, got " + version);
    }
    this.version = version;
    this.shardOfBucket = shardOfBucket;
    this.shardCount = shardCount;
    this.shards = List.copyOf(shards);
    checkShards(shardOfBucket, shardCount, this.shards);
  }

  /** Records, when present, name every shard in index order; active ones come first, drained ones own nothing. */
  private static void checkShards(int[] shardOfBucket, int shardCount, List<ShardRecord> shards) {
    if (shards.isEmpty()) {
      return; // a version stored before the directory recorded its shards
    }
    if (shards.size() != shardCount) {
      throw new IllegalArgumentException("a directory of " + shardCount + " shards records " + shards.size());
    }
    boolean drainedSeen = false;
    for (int i = 0; i < shards.size(); i++) {
      ShardRecord shard = shards.get(i);
      if (shard.index() != i) {
        throw new IllegalArgumentException("shard record " + i + " has index " + shard.index());
      }
      if (drainedSeen && shard.serves()) {
        throw new IllegalArgumentException("shard " + i + " serves after a drained shard: drained ones are last");
      }
      drainedSeen |= !shard.serves();
    }
    for (int b = 0; b < shardOfBucket.length; b++) {
      if (!shards.get(shardOfBucket[b]).serves()) {
        throw new IllegalArgumentException("bucket " + b + " maps to drained shard " + shardOfBucket[b]);
      }
    }
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
    return new BucketDirectory(1, map, shardCount, List.of());
  }

  /** The seed layout, version 1, of {@link #evenRanges(int)} over the given shards, recorded with it. */
  public static BucketDirectory evenRanges(List<ShardRecord> shards) {
    requireNonNull(shards, "shards");
    return new BucketDirectory(1, evenRanges(shards.size()).shardOfBucket, shards.size(), shards);
  }

  /** An explicit layout at version 1: {@code shardOfBucket[b]} is the shard of bucket {@code b}. */
  public static BucketDirectory of(int[] shardOfBucket, int shardCount) {
    return of(1, shardOfBucket, shardCount);
  }

  /** An explicit layout: {@code shardOfBucket[b]} is the shard of bucket {@code b}, in {@code [0, shardCount)}. */
  public static BucketDirectory of(long version, int[] shardOfBucket, int shardCount) {
    return of(version, shardOfBucket, shardCount, List.of());
  }

  /** An explicit layout with its shard records (empty: not recorded). */
  public static BucketDirectory of(long version, int[] shardOfBucket, int shardCount, List<ShardRecord> shards) {
    requireNonNull(shardOfBucket, "shardOfBucket");
    requireNonNull(shards, "shards");
    if (shardOfBucket.length != ShardId.BUCKETS) {
      throw new IllegalArgumentException("a directory maps exactly " + ShardId.BUCKETS + " buckets");
    }
    for (int shard : shardOfBucket) {
      if (shard < 0 || shard >= shardCount) {
        throw new IllegalArgumentException("shard " + shard + " is outside [0, " + shardCount + ")");
      }
    }
    return new BucketDirectory(version, shardOfBucket.clone(), shardCount, shards);
  }

  /** The layout stored as ranges, as {@link #ranges()} gives them; every bucket must be covered exactly once. */
  public static BucketDirectory ofRanges(long version, List<Range> ranges, int shardCount) {
    return ofRanges(version, ranges, shardCount, List.of());
  }

  /** The layout stored as ranges, with its shard records (empty: not recorded). */
  public static BucketDirectory ofRanges(long version, List<Range> ranges, int shardCount,
      List<ShardRecord> shards) {
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
    return of(version, map, shardCount, shards);
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

  /** How many shards the directory numbers, drained ones included. */
  public int shardCount() {
    return shardCount;
  }

  /** The shards recorded with this version, in index order; empty for a version stored before they were. */
  public List<ShardRecord> shards() {
    return shards;
  }

  /** The next version, with the same buckets and {@code newShards} recorded (a shard joins, changes state). */
  public BucketDirectory withShards(List<ShardRecord> newShards) {
    requireNonNull(newShards, "newShards");
    for (int shard : shardOfBucket) {
      if (shard >= newShards.size()) {
        throw new IllegalArgumentException("a bucket maps to shard " + shard + ", beyond the " + newShards.size()
            + " shards recorded");
      }
    }
    return new BucketDirectory(version + 1, shardOfBucket, newShards.size(), newShards);
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
    return new BucketDirectory(version + 1, map, shardCount, shards);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BucketDirectory d && d.version == version && d.shardCount == shardCount
        && Arrays.equals(d.shardOfBucket, shardOfBucket) && d.shards.equals(shards);
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
