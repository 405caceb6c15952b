package dev.trellis.bench;

import dev.trellis.bench.run.BenchOptions;
import dev.trellis.bench.run.BenchRun;
import dev.trellis.bench.run.BenchSuite;
import dev.trellis.bench.targets.BenchConfig;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.logging.ProcessLogging;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * {@code ./trellis bench}: one load (plus baselines) and its report, or {@code targets} (what bench.json offers), or
 * {@code data-layer} ({@link DataLayerBenchmark}), {@code bucket-move} ({@link BucketMoveBenchmark}) or {@code reshard} ({@link ReshardBenchmark}). Exit codes: 0 done, 1 the run failed (a target did not start,
 * every call failed), 2 a wrong flag (one line naming it), 3 an external engine is not installed (one line saying
 * how to install it).
 */
public final class BenchMain {
  static final int FAILED = 1;
  static final int CONFIG_ERROR = 2;
  static final int MISSING_ENGINE = 3;

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args, Path.of(System.getProperty("trellis.root", "."))));
  }

  /** Runs the command; returns the exit code. */
  static int run(String[] args, Path root) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
      System.out.print(BenchOptions.USAGE);
      return 0;
    }
    try {
      if (args.length > 0 && args[0].equals("targets")) {
        printTargets(config(Arrays.copyOfRange(args, 1, args.length)));
        return 0;
      }
      if (args.length > 0 && args[0].equals("suite")) {
        return new BenchSuite(root, System.out).run(Arrays.copyOfRange(args, 1, args.length));
      }
      if (args.length > 0 && args[0].equals("data-layer")) {
        DataLayerBenchmark.main(Arrays.copyOfRange(args, 1, args.length));
        return 0;
      }
      if (args.length > 0 && args[0].equals("reshard")) {
        ReshardBenchmark.main(Arrays.copyOfRange(args, 1, args.length));
        return 0;
      }
      if (args.length > 0 && args[0].equals("bucket-move")) {
        BucketMoveBenchmark.main(Arrays.copyOfRange(args, 1, args.length));
        return 0;
      }
      BenchOptions options = BenchOptions.parse(args, root);
      ProcessLogging.configure(BenchMain.class.getResource(BenchRun.LOG_CONFIGURATION),
          options.out().resolve("logs").resolve("bench.log"));
      BenchConfig config = options.config().map(BenchConfig::read).orElseGet(BenchConfig::packaged);
      var report = new BenchRun(options, config, System.out, System.err).run();
      boolean nothing = report.sides().stream().anyMatch(s -> s.total().calls() > 0
          && s.total().errors() == s.total().calls());
      if (nothing) {
        System.err.println("bench: every call of a side failed; see the statuses in the report");
        return FAILED;
      }
      return 0;
    } catch (ConfigException e) {
      System.err.println("bench: " + e.getMessage());
      return CONFIG_ERROR;
    } catch (BenchRun.MissingEngineException e) {
      System.err.println("bench: " + e.getMessage());
      return MISSING_ENGINE;
    } catch (java.io.IOException e) {
      System.err.println("bench: " + e.getMessage());
      return FAILED;
    }
  }

  private static BenchConfig config(String[] args) {
    if (args.length == 2 && args[0].equals("--config")) {
      return BenchConfig.read(Path.of(args[1]));
    }
    if (args.length > 0) {
      throw new ConfigException("bench targets takes only --config FILE");
    }
    return BenchConfig.packaged();
  }

  private static void printTargets(BenchConfig config) {
    System.out.println("Local targets (--local NAME), each started in its own JVM:");
    new TreeMap<>(config.targets()).forEach((name, t) -> System.out.printf("  %-20s %s%n", name,
        t.description()));
    System.out.println("Baselines (--baseline NAME), measured in alternating rounds beside the load:");
    new TreeMap<>(config.baselines()).forEach((name, b) -> System.out.printf("  %-20s %s%n", name,
        b.description()));
  }
}
