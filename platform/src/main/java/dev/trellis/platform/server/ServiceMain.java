package dev.trellis.platform.server;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The {@code main} of every service:
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   ServiceMain.run(new UserService(), args); // a TrellisService
 * }
 * }</pre>
 *
 * It reads the settings, builds and starts the server, and on SIGTERM stops it gracefully, then flushes telemetry
 * and logs. A configuration error stops the process with one line on stderr naming the variable and exit code 2,
 * never a stack trace.
 */
public final class ServiceMain {
  /** The exit code of a configuration error. */
  public static final int CONFIG_ERROR = 2;
  /** The exit code when the service cannot start (port taken, a dependency failing at start). */
  public static final int START_ERROR = 1;
  /** The log level of the process. */
  public static final String LOG_LEVEL = "TRELLIS_LOG_LEVEL";
  /** grpc-netty-shaded's name for Netty's {@code io.netty.leakDetection.level}. */
  static final String LEAK_DETECTION = "io.grpc.netty.shaded.io.netty.leakDetection.level";

  private static final Logger log = LoggerFactory.getLogger(ServiceMain.class);

  private ServiceMain() {}

  /** Runs {@code service} until the process is told to stop; it listens on its default port unless told otherwise. */
  public static void run(TrellisService service, String[] args) {
    requireNonNull(service, "service");
    run(service.name(), args, Map.of(ServerConfig.PORT, Integer.toString(service.defaultPort())), service::create);
  }

  /** Runs the server that {@code app} builds until the process is told to stop. */
  public static void run(String serviceName, String[] args, Function<ServiceRuntime, TrellisServer> app) {
    run(serviceName, args, Map.of(), app);
  }

  private static void run(String serviceName, String[] args, Map<String, String> defaults,
      Function<ServiceRuntime, TrellisServer> app) {
    requireNonNull(serviceName, "serviceName");
    requireNonNull(args, "args");
    requireNonNull(app, "app");
    quietLeakDetection();
    // grpc-java logs through java.util.logging: send it to the same JSON lines.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    ServiceRuntime runtime = null;
    TrellisServer server;
    try {
      Settings settings = Settings.fromProcess(args).withDefaults(defaults);
      applyLogLevel(settings);
      runtime = ServiceRuntime.create(serviceName, settings);
      server = app.apply(runtime);
      settings.rejectUnknownFlags();
      server.start();
    } catch (ConfigException e) {
      exit(serviceName + ": " + e.getMessage(), CONFIG_ERROR, runtime);
      return;
    } catch (IOException e) {
      exit(serviceName + ": cannot start the server: " + e.getMessage(), START_ERROR, runtime);
      return;
    } catch (RuntimeException e) {
      // A dependency at start (a shard that refuses to migrate, say): the details go to the JSON log, the
      // operator's terminal gets one line.
      log.error("{} cannot start", serviceName, e);
      exit(serviceName + ": cannot start: " + e.getMessage() + " (details in the log)", START_ERROR, runtime);
      return;
    }
    ServiceRuntime started = runtime;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("{} stopping", serviceName);
      server.stopGracefully();
      started.close();
      log.info("{} stopped", serviceName);
      flushLogs();
    }, serviceName + "-shutdown"));
    log.info("{} serving on port {}", serviceName, server.getPort());
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Turns off Netty's sampled buffer-leak detection in a service (it records a stack trace for one buffer in 128:
   * 1 to 2 % of a call's CPU in the profiles of issue 15) unless the JVM was started with a level for it,
   * {@code -D}{@value #LEAK_DETECTION}{@code =simple} (or paranoid) to hunt a leak. Tests, which start servers
   * without this main, keep Netty's default and so still catch leaks.
   */
  static void quietLeakDetection() {
    if (System.getProperty(LEAK_DETECTION) == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  /**
   * {@value #LOG_LEVEL}: trace, debug, info (the default), warn or error, for the whole process. Public for the
   * processes that are not services (edge-proxy), so that every process reads it alike.
   */
  public static void applyLogLevel(Settings settings) {
    String name = settings.string(LOG_LEVEL, "info");
    Level level = switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "trace" -> Level.TRACE;
      case "debug" -> Level.DEBUG;
      case "info" -> Level.INFO;
      case "warn" -> Level.WARN;
      case "error" -> Level.ERROR;
      default -> throw new ConfigException(
          LOG_LEVEL + " must be one of trace, debug, info, warn, error, got '" + name + "'");
    };
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(level);
    }
  }

  private static void exit(String message, int code, ServiceRuntime runtime) {
    System.err.println(message);
    if (runtime != null) {
      runtime.close();
    }
    flushLogs();
    System.exit(code);
  }

  /** Logs go through a batching writer thread: stop it last, so the final lines are written before the JVM halts. */
  private static void flushLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }
}
