package dev.trellis.bench.run;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * The bench's own log lines go to a file of the run (bench-logback.xml), since the platform's logback.xml would print
 * JSON on stdout among the progress line and the summary. The targets' JVMs log as every service does.
 */
public final class BenchLogging {
  private BenchLogging() {}

  /** Logback may already be configured by then (any class with a logger does it), so it is configured anew. */
  public static void routeTo(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    context.putProperty("trellis.log.file", file.toAbsolutePath().toString());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(BenchLogging.class.getResource("/bench-logback.xml"));
    } catch (JoranException e) {
      throw new IllegalStateException("bench-logback.xml is broken", e);
    }
  }
}
