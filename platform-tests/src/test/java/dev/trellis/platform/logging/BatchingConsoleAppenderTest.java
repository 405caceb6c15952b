package dev.trellis.platform.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The services' log writer: whole lines in order, in batches, never waited for by a caller, drops counted. */
class BatchingConsoleAppenderTest {
  private final LoggerContext context = new LoggerContext();
  private final Logger logger = context.getLogger("test");

  BatchingConsoleAppenderTest() {
    context.setMDCAdapter(new LogbackMDCAdapter()); // as logback's service provider gives its own context
  }

  @Test
  void writesEveryLineWholeAndInOrderAndTheRestOnStop() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BatchingConsoleAppender appender = appender(1024, out);
    for (int i = 0; i < 500; i++) {
      appender.doAppend(event("line " + i));
    }
    appender.stop(); // writes what is still queued

    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(500);
    for (int i = 0; i < 500; i++) {
      assertThat(lines[i]).isEqualTo("line " + i);
    }
  }

  @Test
  void aFullQueueDropsAndCountsLinesInsteadOfBlockingTheCaller() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    OutputStream stuck = new OutputStream() {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        writing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        written.write(b, off, len);
      }
    };
    BatchingConsoleAppender appender = appender(2, stuck);
    long before = BatchingConsoleAppender.droppedLines();

    appender.doAppend(event("first"));
    assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue(); // the writer took it and is stuck writing it
    for (int i = 0; i < 10; i++) {
      appender.doAppend(event("line " + i)); // each returns at once although nothing is being written
    }

    assertThat(BatchingConsoleAppender.droppedLines() - before).isEqualTo(8); // two fit in the queue
    release.countDown();
    appender.stop();
    assertThat(written.toString(StandardCharsets.UTF_8)).isEqualTo("first\nline 0\nline 1\n");
  }

  @Test
  void theServicesLogbackXmlWritesJsonThroughIt() throws Exception {
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(BatchingConsoleAppender.class.getResource("/logback.xml"));
    try {
      var appender = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("JSON");
      assertThat(appender).isInstanceOf(BatchingConsoleAppender.class);
      assertThat(appender.isStarted()).isTrue();
      assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders())
          .toIterable().hasSize(1);
    } finally {
      context.stop();
    }
  }

  private BatchingConsoleAppender appender(int queueSize, OutputStream out) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    BatchingConsoleAppender appender = new BatchingConsoleAppender();
    appender.setContext(context);
    appender.setName("test");
    appender.setEncoder(encoder);
    appender.setQueueSize(queueSize);
    appender.setOutputStream(out);
    appender.start();
    return appender;
  }

  private LoggingEvent event(String message) {
    return new LoggingEvent(Logger.class.getName(), logger, Level.INFO, message, null, null);
  }

}
