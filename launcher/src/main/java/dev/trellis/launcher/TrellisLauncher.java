package dev.trellis.launcher;

import ch.qos.logback.classic.LoggerContext;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.logging.ProcessLogging;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.LoggerFactory;

/**
 * The entry point behind {@code ./trellis}: {@code up} runs the local mesh, {@code reshard} reshards it while it
 * runs, {@code token} prints a dev token,
 * {@code call} calls a service through reflection. Configuration errors end the process with one line on stderr and
 * exit code 2.
 */
public final class TrellisLauncher {
  static final int CONFIG_ERROR = 2;
  static final int FAILED = 1;
  /** The local mesh's log file, in the state directory's logs. */
  static final String LOG_FILE = "trellis.jsonl";

  private TrellisLauncher() {}

  public static void main(String[] args) {
    if (args.length == 0) {
      fail("usage: trellis-launcher up|reshard|token|call [--flags]", CONFIG_ERROR);
    }
    String[] flags = Arrays.copyOfRange(args, 1, args.length);
    if (Arrays.asList(flags).contains("--help") || Arrays.asList(flags).contains("-h")) {
      System.out.println(help(args[0]));
      System.exit(0);
    }
    try {
      if (args[0].equals("call")) {
        configureLogs("/quiet-logback.xml", null);
        CallCommand call = CallCommand.parse(flags, Settings.of(System.getenv()));
        System.exit(call.run(System.in, System.out, System.err));
      }
      Settings settings = Settings.fromProcess(flags);
      switch (args[0]) {
        case "up" -> {
          LocalMeshSettings mesh = LocalMeshSettings.fromSettings(settings);
          configureLogs("/launcher-logback.xml", mesh.state().logs().resolve(LOG_FILE));
          settings.rejectUnknownFlags();
          LocalMesh.run(mesh, settings);
        }
        case "reshard" -> {
          configureLogs("/quiet-logback.xml", null);
          ReshardCommand reshard = ReshardCommand.fromSettings(settings,
              dev.trellis.platform.data.reshard.ProgressPrinter.isTerminal());
          settings.rejectUnknownFlags();
          System.exit(reshard.run(System.out));
        }
        case "token" -> {
          configureLogs("/quiet-logback.xml", null);
          DevTokenRequest request = DevTokenRequest.fromSettings(settings);
          settings.rejectUnknownFlags();
          System.out.println(request.mint());
        }
        default -> fail("unknown command '" + args[0] + "'; use up, reshard, token or call", CONFIG_ERROR);
      }
    } catch (ConfigException e) {
      fail(e.getMessage(), CONFIG_ERROR);
    }
  }

  /** What {@code ./trellis COMMAND --help} prints: every command answers it, before reading any other flag. */
  static String help(String command) {
    return switch (command) {
      case "up" -> """
          usage: ./trellis up [--state-dir .trellis] [--shards 4] [--user-port 50051]
            runs the whole mesh locally: embedded PostgreSQL shards and every service, until Ctrl-C;
            TRELLIS_* variables (README's configuration table) configure the services""";
      case "reshard" -> """
          usage: ./trellis reshard --shards N [--state-dir .trellis] | ./trellis reshard --status
            reshards the running local mesh (./trellis up in another terminal) to N shards while it serves: starts
            the shards that join, moves every bucket that changes owner in every service database (a progress bar,
            then a report: buckets, rows, duration, write pause p50/p99/max); shrinking drains the last shards.
            Stopped, it continues when run again; the next ./trellis up starts N shards""";
      case "token" -> "usage: ./trellis token --role user|admin|service [--sub ID] [--ttl 1h] [--state-dir .trellis]\n"
          + "  prints a dev token the local mesh accepts (several roles: --role admin,user); --sub is the user id or\n"
          + "  the service name; with --role service alone it is " + DevTokenRequest.declaredServiceCaller()
              .map(name -> name + ", the service the contracts let call").orElse("required") + "; --ttl is at most\n"
          + "  TRELLIS_JWT_MAX_TOKEN_LIFETIME (24h by default), the longest lifetime servers accept";
      case "call" -> CallCommand.usage() + """

            calls a service through server reflection, as grpcurl does; without a METHOD it lists the methods""";
      default -> "usage: trellis-launcher up|reshard|token|call [--flags]; ./trellis help lists every command";
    };
  }

  /**
   * The mesh's JSON lines go to a file ({@code file}), so the terminal keeps the launcher's own output; a token or a
   * call logs warnings only, on stderr, so that stdout carries nothing but its answer. Logback may already be
   * configured by the platform's logback.xml (any class with a logger does that), so configure it anew.
   */
  private static void configureLogs(String configuration, Path file) {
    URL resource = TrellisLauncher.class.getResource(configuration);
    if (file == null) {
      ProcessLogging.configure(resource);
    } else {
      ProcessLogging.configure(resource, file);
    }
  }

  /** From now on log lines go to the log file only, not to the terminal: the mesh is stopping. */
  static void logToFileOnly() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      for (ch.qos.logback.classic.Logger logger : context.getLoggerList()) {
        logger.detachAppender("STDERR");
        logger.detachAppender("STDERR_SHARDS");
      }
    }
  }

  static void fail(String message, int code) {
    // The log file gets the details before the process ends: stop logback, which drains its async queue.
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
    System.err.println("trellis: " + message);
    System.exit(code);
  }
}
