package dev.trellis.launcher;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.LoggerFactory;

/**
 * The entry point behind {@code ./trellis}: {@code up} runs the local mesh, {@code token} prints a dev token.
 * Configuration errors end the process with one line on stderr and exit code 2.
 */
public final class TrellisLauncher {
  static final int CONFIG_ERROR = 2;
  static final int FAILED = 1;

  private TrellisLauncher() {}

  public static void main(String[] args) {
    if (args.length == 0) {
      fail("usage: trellis-launcher up|token [--flags]", CONFIG_ERROR);
    }
    String[] flags = Arrays.copyOfRange(args, 1, args.length);
    try {
      Settings settings = Settings.fromProcess(flags);
      switch (args[0]) {
        case "up" -> {
          LocalMeshSettings mesh = LocalMeshSettings.fromSettings(settings);
          routeLogsTo(mesh.state().logs().resolve("trellis.jsonl"));
          settings.rejectUnknownFlags();
          LocalMesh.run(mesh, settings);
        }
        case "token" -> {
          DevTokenRequest request = DevTokenRequest.fromSettings(settings);
          settings.rejectUnknownFlags();
          System.out.println(request.mint());
        }
        default -> fail("unknown command '" + args[0] + "'; use up or token", CONFIG_ERROR);
      }
    } catch (ConfigException e) {
      fail(e.getMessage(), CONFIG_ERROR);
    }
  }

  /**
   * The services' JSON lines go to a file, so the terminal keeps the launcher's own output. Logback may already be
   * configured by the platform's logback.xml (any class with a logger does that), so configure it anew.
   */
  private static void routeLogsTo(Path file) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    context.putProperty("trellis.log.file", file.toAbsolutePath().toString());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(TrellisLauncher.class.getResource("/launcher-logback.xml"));
    } catch (JoranException e) {
      throw new IllegalStateException("launcher-logback.xml is broken", e);
    }
  }

  static void fail(String message, int code) {
    System.err.println("trellis: " + message);
    System.exit(code);
  }
}
