package dev.trellis.edge;

import ch.qos.logback.classic.LoggerContext;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.server.ServiceMain;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.proto.TrellisDescriptors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The edge-proxy process: reads its settings (a wrong one stops it with one line naming the variable, exit code 2),
 * loads the descriptors, listens, and on SIGTERM stops gracefully, then flushes telemetry and logs.
 */
public final class EdgeMain {
  private static final Logger log = LoggerFactory.getLogger(EdgeMain.class);

  private EdgeMain() {}

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    Telemetry telemetry = null;
    EdgeServer server;
    try {
      Settings settings = Settings.fromProcess(args);
      ServiceMain.applyLogLevel(settings);
      EdgeSettings edge = EdgeSettings.fromSettings(settings);
      TrellisDescriptors descriptors = descriptors(edge);
      settings.rejectUnknownFlags();
      telemetry = Telemetry.fromEnvironment(EdgeServer.NAME);
      server = EdgeServer.create(edge, descriptors, telemetry).start();
    } catch (ConfigException e) {
      exit(EdgeServer.NAME + ": " + e.getMessage(), ServiceMain.CONFIG_ERROR, telemetry);
      return;
    } catch (IOException e) {
      exit(EdgeServer.NAME + ": cannot start: " + e.getMessage(), ServiceMain.START_ERROR, telemetry);
      return;
    }
    Telemetry started = telemetry;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("{} stopping", EdgeServer.NAME);
      server.stopGracefully();
      started.close();
      log.info("{} stopped", EdgeServer.NAME);
      flushLogs();
    }, EdgeServer.NAME + "-shutdown"));
    log.info("{} serving HTTP on port {}", EdgeServer.NAME, server.port());
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The packaged contracts, or the descriptor set file that {@value EdgeSettings#DESCRIPTORS} names. */
  public static TrellisDescriptors descriptors(EdgeSettings settings) {
    if (settings.descriptors().isEmpty()) {
      return TrellisDescriptors.load();
    }
    Path file = settings.descriptors().get();
    try {
      return TrellisDescriptors.fromBytes(Files.readAllBytes(file));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(EdgeSettings.DESCRIPTORS + " must name a readable FileDescriptorSet with its imports ("
          + file + "): " + e.getMessage());
    }
  }

  private static void exit(String message, int code, Telemetry telemetry) {
    System.err.println(message);
    if (telemetry != null) {
      telemetry.close();
    }
    flushLogs();
    System.exit(code);
  }

  private static void flushLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }
}
