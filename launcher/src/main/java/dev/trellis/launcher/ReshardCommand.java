package dev.trellis.launcher;

import static java.util.Objects.requireNonNull;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.reshard.ProgressPrinter;
import dev.trellis.platform.data.reshard.ReshardProgress;
import dev.trellis.platform.data.reshard.ReshardReport;
import dev.trellis.platform.data.reshard.Resharder;
import dev.trellis.platform.server.TrellisService;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./trellis reshard --shards N}: reshards the running local mesh ({@code ./trellis up} in another terminal).
 * Starts the embedded shards that join under the state directory, reshards every service's database at once
 * ({@link Resharder}: one bucket at a time per database) with one progress display, records the serving count so
 * that the next {@code ./trellis up} starts that many, and prints a report per database. {@code --status} prints
 * what the shards record. A run stopped anywhere (Ctrl-C, a crash) continues when run again.
 */
final class ReshardCommand {
  static final String SHARDS = LocalMeshSettings.SHARDS;
  static final String STATUS = "TRELLIS_STATUS";
  /** How long a moved bucket's source rows stay: the local services poll the directory every 250 ms. */
  static final Duration GRACE = Duration.ofMillis(600);
  /** The most shards a local mesh runs (as ./trellis up --shards allows). */
  static final int MAX_SHARDS = 16;

  private final StateDirectory state;
  private final int shards; // 0 with --status
  private final boolean terminal;

  private ReshardCommand(StateDirectory state, int shards, boolean terminal) {
    this.state = state;
    this.shards = shards;
    this.terminal = terminal;
  }

  static ReshardCommand fromSettings(Settings settings, boolean terminal) {
    StateDirectory state = StateDirectory.fromSettings(settings);
    boolean status = settings.bool(STATUS, false);
    int shards = settings.integer(SHARDS, 0, 0, MAX_SHARDS);
    if (!status && shards == 0) {
      throw new ConfigException("--shards N is required: how many shards serve after the reshard (1 to "
          + MAX_SHARDS + "); --status prints where a reshard is");
    }
    return new ReshardCommand(state, status ? 0 : shards, terminal);
  }

  /** @return the exit code: 0 done, 1 stopped (run it again to continue) */
  int run(PrintStream out) {
    Path dir = state.shards();
    int serving = servingNow(dir);
    requireMeshRunning(dir);
    List<TrellisService> services = TrellisService.all().stream().filter(s -> s.database().isPresent()).toList();
    if (shards == 0) {
      for (TrellisService service : services) {
        TrellisService.Database db = service.database().orElseThrow();
        out.print(Resharder.status(topology(dir, 1, db.name()), db.name()).describe());
      }
      out.println("serving shards recorded for ./trellis up: " + serving);
      return 0;
    }
    int listed = Math.max(shards, shardDirectories(dir));
    if (shards > serving) {
      for (EmbeddedShards.JoiningShard joining : EmbeddedShards.startJoining(dir, serving, shards,
          services.stream().map(s -> s.database().orElseThrow().name()).toList())) {
        out.println(describe(joining, dir));
      }
    }
    Map<String, ReshardProgress> progress = new ConcurrentHashMap<>();
    ProgressPrinter printer = new ProgressPrinter(out, terminal, Duration.ofSeconds(terminal ? 0 : 5));
    List<Future<ReshardReport>> runs = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (TrellisService service : services) {
        TrellisService.Database db = service.database().orElseThrow();
        ShardTopology topology = topology(dir, listed, db.name());
        runs.add(executor.submit(() -> Resharder.builder(topology, db.migrations().toArray(String[]::new))
            .database(db.name()).shards(shards).grace(GRACE).progress(p -> {
              progress.put(p.database(), p);
              printer.accept(total(progress));
            }).build().run()));
      }
    }
    List<ReshardReport> reports = new ArrayList<>();
    for (Future<ReshardReport> run : runs) {
      try {
        reports.add(run.get());
      } catch (ExecutionException e) {
        out.println();
        out.println("trellis: the reshard stopped (" + e.getCause().getMessage() + "); run the same command again to"
            + " continue where it stopped");
        return TrellisLauncher.FAILED;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return TrellisLauncher.FAILED;
      }
    }
    EmbeddedShards.recordServing(dir, shards);
    for (ReshardReport report : reports) {
      out.println(report.describe());
    }
    out.println(shards + " shards serve; the next ./trellis up starts " + shards);
    return 0;
  }

  /** What became of a shard that joins: started now, or found running (a stopped run of this reshard started it). */
  static String describe(EmbeddedShards.JoiningShard joining, Path dir) {
    String shard = ShardTopology.shardName(joining.index());
    return joining.started()
        ? shard + " started on port " + joining.port() + " (data under " + dir.resolve(shard) + ")"
        : shard + " was running already on port " + joining.port() + " (an earlier run of this reshard started it)";
  }

  /** One line for every database at once: buckets, rows and time summed, the elapsed time the longest. */
  private static ReshardProgress total(Map<String, ReshardProgress> each) {
    int moved = 0;
    int total = 0;
    long rows = 0;
    Duration elapsed = Duration.ZERO;
    for (ReshardProgress p : each.values()) {
      moved += p.moved();
      total += p.total();
      rows += p.rowsCopied();
      elapsed = p.elapsed().compareTo(elapsed) > 0 ? p.elapsed() : elapsed;
    }
    return new ReshardProgress(String.join("+", each.keySet().stream().sorted().toList()), moved, total, rows,
        elapsed);
  }

  /** The first {@code count} embedded shards of the state directory, for one database. */
  static ShardTopology topology(Path dir, int count, String database) {
    List<ShardSpec> specs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      specs.add(new ShardSpec(ShardTopology.shardName(i), EmbeddedShards.urlOf(port(dir, i), database),
          EmbeddedShards.superuser(), ""));
    }
    return new ShardTopology(specs);
  }

  private static int port(Path dir, int index) {
    Path file = dir.resolve(ShardTopology.shardName(index)).resolve("port");
    try {
      return Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).strip());
    } catch (IOException | NumberFormatException e) {
      throw new ConfigException("no local mesh shard " + index + " in " + dir + ": run ./trellis up first");
    }
  }

  private static int servingNow(Path dir) {
    int found = shardDirectories(dir);
    if (found == 0) {
      throw new ConfigException("no local mesh in " + dir + ": start ./trellis up (in another terminal) first");
    }
    return EmbeddedShards.servingCount(dir).orElse(found);
  }

  private static int shardDirectories(Path dir) {
    int count = 0;
    while (Files.isDirectory(dir.resolve(ShardTopology.shardName(count)).resolve("pgdata"))) {
      count++;
    }
    return count;
  }

  /** ./trellis up holds the state directory's lock while it runs: the reshard works on its live shards. */
  private static void requireMeshRunning(Path dir) {
    requireNonNull(dir, "dir");
    try (FileChannel lock = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      boolean free;
      try {
        var held = lock.tryLock();
        free = held != null;
        if (held != null) {
          held.release();
        }
      } catch (OverlappingFileLockException sameJvm) {
        free = false;
      }
      if (free) {
        throw new ConfigException("the local mesh is not running on " + dir + ": start ./trellis up (in another"
            + " terminal), then reshard it while it serves");
      }
    } catch (IOException e) {
      throw new ConfigException("cannot read " + dir + ": " + e.getMessage());
    }
  }
}
