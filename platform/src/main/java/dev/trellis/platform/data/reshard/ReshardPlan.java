package dev.trellis.platform.data.reshard;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import java.util.ArrayList;
import java.util.List;

/**
 * Where every bucket goes when a database is to serve {@code shards} shards: the even ranges of {@code shards}
 * ({@link BucketDirectory#evenRanges(int)}), each range given to the shard of {@code [0, shards)} that holds most of
 * it now (greedy, largest overlap first), so that as few buckets move as the ranges allow. Growing 4 to 6 moves 342
 * buckets this way instead of the 769 of range i on shard i; shrinking back moves them home. Shards from
 * {@code shards} on are drained: they keep no bucket.
 *
 * @param shards how many shards serve after the reshard
 * @param target the shard of each bucket after it
 * @param moves the buckets that change owner, ascending
 */
public record ReshardPlan(int shards, int[] target, List<Move> moves) {
  /** One bucket that changes owner. */
  public record Move(int bucket, int from, int to) {}

  public ReshardPlan {
    target = target.clone();
    moves = List.copyOf(moves);
  }

  /** The plan from {@code current} to {@code shards} serving shards. */
  public static ReshardPlan of(BucketDirectory current, int shards) {
    requireNonNull(current, "current");
    if (shards < 1 || shards > ShardId.BUCKETS) {
      throw new IllegalArgumentException("shard count must be in [1, " + ShardId.BUCKETS + "], got " + shards);
    }
    BucketDirectory even = BucketDirectory.evenRanges(shards);
    // overlap[r][s]: buckets of range r that shard s holds now.
    long[][] overlap = new long[shards][shards];
    for (int b = 0; b < ShardId.BUCKETS; b++) {
      int now = current.shardOf(b);
      if (now < shards) {
        overlap[even.shardOf(b)][now]++;
      }
    }
    int[] shardOfRange = new int[shards];
    boolean[] rangeTaken = new boolean[shards];
    boolean[] shardTaken = new boolean[shards];
    for (int round = 0; round < shards; round++) {
      int bestRange = -1;
      int bestShard = -1;
      for (int r = 0; r < shards; r++) {
        for (int s = 0; s < shards; s++) {
          if (!rangeTaken[r] && !shardTaken[s]
              && (bestRange < 0 || overlap[r][s] > overlap[bestRange][bestShard])) {
            bestRange = r;
            bestShard = s;
          }
        }
      }
      rangeTaken[bestRange] = true;
      shardTaken[bestShard] = true;
      shardOfRange[bestRange] = bestShard;
    }
    int[] target = new int[ShardId.BUCKETS];
    List<Move> moves = new ArrayList<>();
    for (int b = 0; b < ShardId.BUCKETS; b++) {
      target[b] = shardOfRange[even.shardOf(b)];
      if (target[b] != current.shardOf(b)) {
        moves.add(new Move(b, current.shardOf(b), target[b]));
      }
    }
    return new ReshardPlan(shards, target, moves);
  }

  /** The shard of {@code bucket} after the reshard. */
  public int targetOf(int bucket) {
    return target[bucket];
  }

  /** Whether nothing is left to move. */
  public boolean done() {
    return moves.isEmpty();
  }
}
