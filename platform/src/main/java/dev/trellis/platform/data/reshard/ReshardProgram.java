package dev.trellis.platform.data.reshard;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.BucketMoveSettings;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardTopology;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The reshard program, run from a service's image as the migration job is ({@link ShardMigrator#main}), once per
 * service database: {@code java -cp service.jar dev.trellis.platform.data.reshard.ReshardProgram} with the shard
 * settings ({@code TRELLIS_SHARD_URLS}: the shards to serve, in order, including the new ones; a shorter list is a
 * seed), {@code TRELLIS_MIGRATION_LOCATIONS}, and {@value #SHARDS} (how many shards serve after it). Prints progress
 * (a bar on a terminal, lines otherwise) and a final report; {@value #STATUS}=true prints what the shards record
 * instead. Running it again continues a stopped run.
 */
public final class ReshardProgram {
  /** How many shards serve after the reshard (flag --reshard-shards). */
  public static final String SHARDS = "TRELLIS_RESHARD_SHARDS";
  /** Print the state instead of resharding (flag --reshard-status). */
  public static final String STATUS = "TRELLIS_RESHARD_STATUS";
  /** The database's name in the output; default: the last part of the first migration location. */
  public static final String DATABASE = "TRELLIS_RESHARD_DATABASE";
  /** bar, lines or auto (a bar on a terminal). */
  public static final String PROGRESS = "TRELLIS_RESHARD_PROGRESS";

  /** The log level (the services' variable): warn by default, so that the progress stays readable. */
  static final String LOG_LEVEL = "TRELLIS_LOG_LEVEL";

  /** How progress is shown. */
  public enum Display { AUTO, BAR, LINES }

  private ReshardProgram() {}

  public static void main(String[] args) {
    try {
      Settings settings = Settings.fromProcess(args);
      quietLogs(settings.string(LOG_LEVEL, "warn"));
      System.exit(run(settings, System.out));
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  private static void quietLogs(String level) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.WARN));
    }
  }

  /**
   * Runs what {@code settings} ask, printing to {@code out}.
   *
   * @return the exit code: 0 done, 1 failed (run it again: it continues)
   * @throws ConfigException on a wrong setting
   */
  public static int run(Settings settings, PrintStream out) {
    ShardTopology topology = ShardTopology.fromSettings(settings);
    List<String> locations = settings.list(ShardMigrator.LOCATIONS);
    boolean status = settings.bool(STATUS, false);
    String database = settings.string(DATABASE, locations.isEmpty() ? "data"
        : locations.get(0).substring(locations.get(0).lastIndexOf('/') + 1));
    if (status) {
      settings.rejectUnknownFlags();
      out.print(Resharder.status(topology, database).describe());
      return 0;
    }
    if (locations.isEmpty()) {
      throw new ConfigException(ShardMigrator.LOCATIONS + " is required, for example classpath:db/migration/users");
    }
    int shards = settings.integer(SHARDS, -1, 1, 1024);
    if (shards < 0) {
      throw new ConfigException(SHARDS + " is required: how many shards serve after the reshard");
    }
    // The source rows' grace: TRELLIS_MOVE_SOURCE_GRACE, more than two of the services' TRELLIS_DIRECTORY_POLL.
    Duration grace = BucketMoveSettings.fromSettings(settings).sourceGrace();
    Display display = settings.choice(PROGRESS, Display.class, Display.AUTO);
    settings.rejectUnknownFlags();
    boolean bar = display == Display.BAR || (display == Display.AUTO && ProgressPrinter.isTerminal());
    try {
      ReshardReport report = Resharder.builder(topology, locations.toArray(String[]::new)).database(database)
          .shards(shards).grace(grace).progress(new ProgressPrinter(out, bar, Duration.ofSeconds(bar ? 0 : 5)))
          .build().run();
      out.println(report.describe());
      return 0;
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      out.println();
      out.println(database + ": the reshard stopped (" + e.getMessage() + "); run it again to continue");
      return 1;
    }
  }
}
