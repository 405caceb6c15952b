package dev.trellis.platform.data.reshard;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.BucketMoveSettings;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRecord;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Reshards one service's database to {@code shards} serving shards while the services serve, in the manner of a
 * Vitess Reshard workflow: register the shards that join ({@link ShardMigrator#join}: migrated, recorded JOINING,
 * replicas open their pools), mark the shards that leave DRAINING, finish any move a stopped run left, move every
 * bucket that changes owner ({@link ReshardPlan}) with {@link BucketMover}, one bucket at a time (the source rows of
 * the buckets already cut over are removed once their grace has passed, while the next ones move), then record the
 * serving shards ACTIVE and the others DRAINED (replicas close their pools). Every step is recorded on the shards
 * (directory versions, the move journal), so a run stopped anywhere continues when run again.
 */
public final class Resharder {
  private final ShardTopology topology;
  private final String database;
  private final int shards;
  private final String[] locations;
  private final Duration grace;
  private final Consumer<ReshardProgress> progress;
  private final Consumer<BucketMover.Step> steps;
  private final boolean overlapRemovals;

  private Resharder(Builder b) {
    this.topology = b.topology;
    this.database = b.database;
    this.shards = b.shards;
    this.locations = b.locations;
    this.grace = b.grace;
    this.progress = b.progress;
    this.steps = b.steps;
    this.overlapRemovals = b.overlapRemovals;
  }

  /**
   * A reshard of the database on {@code topology} (the shards to serve, in order, at least those not recorded in the
   * directory yet; a shorter list is a seed), migrated from {@code locations}.
   */
  public static Builder builder(ShardTopology topology, String... locations) {
    return new Builder(requireNonNull(topology, "topology"), requireNonNull(locations, "locations").clone());
  }

  /** Runs the reshard to the end, or continues the one a stopped run left. */
  public ReshardReport run() {
    long started = System.nanoTime();
    BucketDirectory directory = ShardMigrator.join(topology, shards, locations);
    try (ShardedDatabase db = ShardedDatabase.builder(topology).kind(database)
        .pool(new ShardPoolSettings(3, Duration.ofSeconds(5), 256)).build()) {
      List<DSLContext> contexts = contexts(db);
      directory = markDraining(contexts, DirectoryStore.readNewest(contexts).orElse(directory));
      BucketMover mover = BucketMover.builder(db).deleteAfter(grace).progress(steps).build();
      // A bucket's source rows wait out the grace while the next buckets are copied and cut over: the grace is paid
      // once per run, not once per bucket. Until removed, a move stays CUT_OVER in the journal, and a rerun
      // finishes it (below); the settle waits for every removal.
      Deque<BucketMover.CutOver> removals = new ArrayDeque<>();
      List<BucketMover.Report> reports = new ArrayList<>();
      for (int[] unfinished : unfinishedMoves(contexts)) {
        BucketMover.CutOver cut = mover.cutOver(unfinished[0], unfinished[1]);
        removals.add(cut);
        reports.add(cut.report());
      }
      ReshardPlan plan = ReshardPlan.of(DirectoryStore.readNewest(contexts).orElseThrow(), shards);
      int total = plan.moves().size() + reports.size();
      long rows = reports.stream().mapToLong(BucketMover.Report::rowsCopied).sum();
      progress.accept(new ReshardProgress(database, reports.size(), total, rows, elapsed(started)));
      try {
        for (ReshardPlan.Move move : plan.moves()) {
          removeDue(mover, removals, !overlapRemovals);
          BucketMover.CutOver cut = mover.cutOver(move.bucket(), move.to());
          removals.add(cut);
          reports.add(cut.report());
          rows += cut.report().rowsCopied();
          progress.accept(new ReshardProgress(database, reports.size(), total, rows, elapsed(started)));
        }
      } catch (RuntimeException failed) {
        // A move failed (its target shard stopped, say): the buckets already cut over are finished still, so the
        // journal is left with the failed move alone; a rerun would finish them otherwise.
        try {
          removeDue(mover, removals, true);
        } catch (RuntimeException alsoFailed) {
          failed.addSuppressed(alsoFailed);
        }
        throw failed;
      }
      removeDue(mover, removals, true);
      BucketDirectory last = settle(contexts, DirectoryStore.readNewest(contexts).orElseThrow());
      return ReshardReport.of(database, reports, elapsed(started), last);
    }
  }

  /** Removes the source rows of the cut-over buckets whose grace has passed (all of them, waiting, if {@code all}). */
  private static void removeDue(BucketMover mover, Deque<BucketMover.CutOver> removals, boolean all) {
    while (!removals.isEmpty() && (all || removals.peekFirst().due())) {
      mover.removeSource(removals.pollFirst());
    }
  }

  /** What the shards of {@code topology} record: the directory, each shard's buckets, the move journal. */
  public static ReshardStatus status(ShardTopology topology, String database) {
    requireNonNull(topology, "topology");
    try (ShardedDatabase db = ShardedDatabase.builder(topology).kind(database)
        .pool(new ShardPoolSettings(1, Duration.ofSeconds(5), 256)).build()) {
      return ReshardStatus.read(database, contexts(db));
    }
  }

  /** The serving shards beyond the target count lose their buckets: recorded DRAINING first, for --status. */
  private BucketDirectory markDraining(List<DSLContext> contexts, BucketDirectory directory) {
    List<ShardRecord> records = new ArrayList<>(directory.shards());
    boolean changed = false;
    for (int i = shards; i < records.size(); i++) {
      ShardRecord r = records.get(i);
      if (r.serves() && r.state() != ShardRecord.State.DRAINING) {
        records.set(i, r.with(ShardRecord.State.DRAINING));
        changed = true;
      }
    }
    if (!changed) {
      return directory;
    }
    BucketDirectory next = directory.withShards(records);
    DirectoryStore.publish(contexts, next);
    return next;
  }

  /** Every bucket in place: the first shards ACTIVE, the others DRAINED (replicas close their pools). */
  private BucketDirectory settle(List<DSLContext> contexts, BucketDirectory directory) {
    List<ShardRecord> records = new ArrayList<>();
    for (ShardRecord r : directory.shards()) {
      records.add(r.with(r.index() < shards ? ShardRecord.State.ACTIVE : ShardRecord.State.DRAINED));
    }
    if (records.equals(directory.shards())) {
      return directory;
    }
    BucketDirectory next = directory.withShards(records);
    DirectoryStore.publish(contexts, next);
    return next;
  }

  /** {bucket, to shard} of each move a stopped run left, in bucket order. */
  private static List<int[]> unfinishedMoves(List<DSLContext> contexts) {
    List<int[]> moves = new ArrayList<>();
    for (DSLContext shard : contexts) {
      shard.fetch("SELECT bucket, to_shard FROM trellis_bucket_move WHERE state <> 'DONE' ORDER BY bucket")
          .forEach(r -> moves.add(new int[] {r.get(0, Integer.class), r.get(1, Integer.class)}));
    }
    moves.sort((a, b) -> Integer.compare(a[0], b[0]));
    return moves;
  }

  /** The open shards, by index (the serving shards are always the first ones). */
  private static List<DSLContext> contexts(ShardedDatabase db) {
    List<DSLContext> contexts = new ArrayList<>();
    for (Shard shard : db.shards()) {
      if (shard.index() != contexts.size()) {
        throw new IllegalStateException("shard " + contexts.size() + " of the " + db.kind() + " database has no"
            + " pool: the directory records no serving shard there");
      }
      contexts.add(DSL.using(shard.dataSource(), SQLDialect.POSTGRES));
    }
    return contexts;
  }

  private static Duration elapsed(long started) {
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** Builds a {@link Resharder}. */
  public static final class Builder {
    private final ShardTopology topology;
    private final String[] locations;
    private String database = "data";
    private int shards;
    private Duration grace = BucketMoveSettings.defaults().sourceGrace();
    private Consumer<ReshardProgress> progress = p -> {};
    private Consumer<BucketMover.Step> steps = s -> {};
    private boolean overlapRemovals = true;

    private Builder(ShardTopology topology, String[] locations) {
      this.topology = topology;
      this.locations = locations;
      this.shards = topology.size();
    }

    /** The database's name in progress lines and reports ("users"). */
    public Builder database(String database) {
      this.database = requireNonNull(database, "database");
      return this;
    }

    /** How many shards serve after the reshard; default: as many as the list names. */
    public Builder shards(int shards) {
      if (shards < 1) {
        throw new IllegalArgumentException("at least one shard must serve, got " + shards);
      }
      this.shards = shards;
      return this;
    }

    /**
     * How long a moved bucket's source rows stay ({@link BucketMover.Builder#deleteAfter}): more than two of the
     * services' directory polls ({@link BucketMoveSettings}). Default 6 s.
     */
    public Builder grace(Duration grace) {
      this.grace = requireNonNull(grace, "grace");
      return this;
    }

    /** Told after each bucket (and once before the first). */
    public Builder progress(Consumer<ReshardProgress> progress) {
      this.progress = requireNonNull(progress, "progress");
      return this;
    }

    /** Told each step of each bucket's move (a test that stops the program mid-bucket). */
    public Builder steps(Consumer<BucketMover.Step> steps) {
      this.steps = requireNonNull(steps, "steps");
      return this;
    }

    /**
     * Whether the source rows of moved buckets wait out their grace while the next buckets move (default), or each
     * bucket's are removed before the next one moves, as the program did before: only to compare the two in one run
     * (ReshardBenchmark --compare=overlap).
     */
    public Builder overlapRemovals(boolean overlap) {
      this.overlapRemovals = overlap;
      return this;
    }

    public Resharder build() {
      return new Resharder(this);
    }
  }
}
