package dev.trellis.platform.data.route;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * The layout of Trellis ids (Instagram style): 64-bit positive numbers generated on a shard right before the
 * insert, unique without a central coordinator, roughly time-ordered, and carrying their bucket, so that any id
 * routes to its shard with bit math alone.
 *
 * <pre>
 *   0 | 41 bits: milliseconds since 2025-01-01T00:00Z | 10 bits: bucket | 12 bits: per-shard sequence % 4096
 * </pre>
 *
 * <p>The SQL function {@code trellis_next_id(bucket)} (db/platform/R__trellis_functions.sql, installed on every shard)
 * generates them; this class only decodes. Two ids collide only if one shard hands out more than 4096 ids for the
 * same bucket within one millisecond, or if a shard's clock steps back by exactly the time it took the sequence to
 * wrap; a bucket move (a later issue) must also let the old shard's clock pass the move before the new shard
 * generates ids for that bucket. 41 bits of milliseconds last until 2094.
 */
public final class ShardId {
  /** Time zero of the timestamp bits. */
  public static final Instant EPOCH = Instant.parse("2025-01-01T00:00:00Z");
  public static final int SEQUENCE_BITS = 12;
  public static final int BUCKET_BITS = 10;
  /** The number of logical buckets: every shard key and id maps to one of them. */
  public static final int BUCKETS = 1 << BUCKET_BITS;

  private static final int TIMESTAMP_SHIFT = SEQUENCE_BITS + BUCKET_BITS;

  private ShardId() {}

  /** The bucket an id was generated for; any long gives a bucket in [0, 1024). */
  public static int bucketOf(long id) {
    return (int) ((id >>> SEQUENCE_BITS) & (BUCKETS - 1));
  }

  /** When the id was generated, to the millisecond, by the clock of the shard that generated it. */
  public static Instant timestampOf(long id) {
    return EPOCH.plusMillis(id >>> TIMESTAMP_SHIFT);
  }

  /** The sequence bits. */
  public static int sequenceOf(long id) {
    return (int) (id & ((1 << SEQUENCE_BITS) - 1));
  }

  /** Builds an id from its parts, for tests and for the first id of a time range (range scans by time). */
  public static long of(Instant timestamp, int bucket, int sequence) {
    requireNonNull(timestamp, "timestamp");
    long millis = timestamp.toEpochMilli() - EPOCH.toEpochMilli();
    if (millis < 0 || millis >= 1L << 41) {
      throw new IllegalArgumentException("timestamp out of range of the id layout: " + timestamp);
    }
    checkBucket(bucket);
    if (sequence < 0 || sequence >= 1 << SEQUENCE_BITS) {
      throw new IllegalArgumentException("sequence must be in [0, 4096), got " + sequence);
    }
    return (millis << TIMESTAMP_SHIFT) | ((long) bucket << SEQUENCE_BITS) | sequence;
  }

  static void checkBucket(int bucket) {
    if (bucket < 0 || bucket >= BUCKETS) {
      throw new IllegalArgumentException("bucket must be in [0, " + BUCKETS + "), got " + bucket);
    }
  }
}
