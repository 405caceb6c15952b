package dev.trellis.platform.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Logging for a process that is not a service, such as the launcher or the bench: a logback configuration of its own
 * instead of the platform's logback.xml (JSON lines on stdout), so that its terminal keeps its own output. Logback
 * may already be configured by then (any class with a logger does that), so it is reset and configured anew.
 */
public final class ProcessLogging {
  /** The property a configuration reads as {@code ${trellis.log.file}}: where its file appender writes. */
  public static final String LOG_FILE_PROPERTY = "trellis.log.file";

  private ProcessLogging() {}

  /** Configures logback from {@code configuration} (a classpath resource), which writes no file. */
  public static void configure(URL configuration) {
    apply(requireNonNull(configuration, "configuration"), null);
  }

  /** Configures logback from {@code configuration}, whose file appender writes to {@code logFile}. */
  public static void configure(URL configuration, Path logFile) {
    apply(requireNonNull(configuration, "configuration"), requireNonNull(logFile, "logFile"));
  }

  private static void apply(URL configuration, Path logFile) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    if (logFile != null) {
      context.putProperty(LOG_FILE_PROPERTY, logFile.toAbsolutePath().toString());
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(configuration);
    } catch (JoranException e) {
      throw new IllegalStateException(configuration + " is broken", e);
    }
  }
}
