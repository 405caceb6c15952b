package dev.trellis.platform.data.route;

import static java.util.Objects.requireNonNull;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Key to bucket to shard, and id to bucket to shard. A key's bucket is murmur3_32 (Guava's fixed variant, the same
 * on every JVM and Guava version) of its UTF-8 bytes, modulo {@link ShardId#BUCKETS}; an id carries its bucket.
 * Shard numbers are positions in the {@link BucketDirectory}. Thread-safe: the directory is one immutable snapshot,
 * swapped whole when a newer version is published ({@link #update}), so each lookup sees one version; a call that
 * routes several times and needs them to agree takes {@link #directory()} once.
 */
public final class ShardRouter {
  private static final HashFunction HASH = Hashing.murmur3_32_fixed();

  private volatile BucketDirectory directory;

  public ShardRouter(BucketDirectory directory) {
    this.directory = requireNonNull(directory, "directory");
  }

  /** The bucket of a shard key such as a lower-cased email. Stable forever: data placement depends on it. */
  public static int bucketOfKey(String key) {
    requireNonNull(key, "key");
    return Math.floorMod(HASH.hashString(key, StandardCharsets.UTF_8).asInt(), ShardId.BUCKETS);
  }

  public int shardOfKey(String key) {
    return directory.shardOf(bucketOfKey(key));
  }

  /** The shard of any id, by its bucket bits alone: no lookup. */
  public int shardOfId(long id) {
    return directory.shardOf(ShardId.bucketOf(id));
  }

  public int shardOfBucket(int bucket) {
    return directory.shardOf(bucket);
  }

  /** A uniformly random bucket, for a new root entity (a user): spreads rows and load evenly over the shards. */
  public int randomBucket() {
    return ThreadLocalRandom.current().nextInt(ShardId.BUCKETS);
  }

  /** The directory now: one immutable snapshot. */
  public BucketDirectory directory() {
    return directory;
  }

  /**
   * Swaps in {@code newer} if its version is higher than the one in use (an older or equal one, read late by a slow
   * poll, changes nothing). It may number more or fewer shards: the caller opens the pools of the shards it names
   * before, and closes those of shards it drains after.
   *
   * @return whether the directory changed
   */
  public synchronized boolean update(BucketDirectory newer) {
    requireNonNull(newer, "newer");
    if (newer.version() <= directory.version()) {
      return false;
    }
    directory = newer;
    return true;
  }
}
