package dev.trellis.platform.data.reshard;

import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRecord;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;

/**
 * What the shards of one database record about resharding: the newest directory (each shard's state and buckets),
 * the moves journaled as done and those a stopped run left, and how many buckets are still away from the even
 * ranges of the serving shards.
 */
public record ReshardStatus(String database, BucketDirectory directory, List<String> unfinished, int movesDone,
    long rowsCopied, int bucketsLeft) {
  static ReshardStatus read(String database, List<DSLContext> shards) {
    BucketDirectory directory = DirectoryStore.readNewest(shards).orElseThrow(
        () -> new IllegalStateException("the " + database + " shards hold no bucket directory: migrate them first"));
    List<String> unfinished = new ArrayList<>();
    int done = 0;
    long rows = 0;
    for (DSLContext shard : shards) {
      for (var r : shard.fetch("SELECT bucket, from_shard, to_shard, state, rows_copied FROM trellis_bucket_move"
          + " ORDER BY bucket")) {
        if ("DONE".equals(r.get(3, String.class))) {
          done++;
          rows += r.get(4, Long.class);
        } else {
          unfinished.add("bucket " + r.get(0, Integer.class) + " from shard " + r.get(1, Integer.class) + " to shard "
              + r.get(2, Integer.class) + ": " + r.get(3, String.class));
        }
      }
    }
    int target = (int) directory.shards().stream()
        .filter(s -> s.state() == ShardRecord.State.ACTIVE || s.state() == ShardRecord.State.JOINING).count();
    int left = ReshardPlan.of(directory, Math.max(1, target == 0 ? directory.shardCount() : target)).moves().size();
    return new ReshardStatus(database, directory, List.copyOf(unfinished), done, rows, left);
  }

  /** The status as {@code --status} prints it. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    out.append(database).append(": directory version ").append(directory.version()).append('\n');
    if (directory.shards().isEmpty()) {
      out.append("  ").append(directory.shardCount()).append(" shards (not recorded yet: migrate once)\n");
    }
    for (ShardRecord shard : directory.shards()) {
      out.append(String.format("  shard %d  %-8s  %4d buckets  %s%n", shard.index(), shard.state(),
          directory.bucketsOf(shard.index()).length, shard.jdbcUrl()));
    }
    out.append(String.format("  moves journaled done: %d (%d rows copied)%n", movesDone, rowsCopied));
    for (String move : unfinished) {
      out.append("  unfinished: ").append(move).append(" (a rerun finishes it)\n");
    }
    out.append(bucketsLeft == 0 ? "  balanced: every bucket is where the even ranges put it\n"
        : "  " + bucketsLeft + " buckets are away from the even ranges of the serving shards (a reshard is in"
            + " progress or was stopped: run it again)\n");
    return out.toString();
  }
}
