package dev.trellis.platform.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes log lines to stdout from one writer thread, in batches: the writer wakes every {@code batchMillis} (5 ms),
 * encodes what the callers queued meanwhile and writes it with one {@code write(2)}. A caller only queues its event
 * and never waits: when the queue ({@code queueSize}, 16,384 lines) is full the line is dropped and counted
 * ({@link #droppedLines()}, exported as {@code trellis.log.lines.dropped}).
 *
 * <p>Why not logback's {@code AsyncAppender}: its writer blocks on the queue, so each line wakes it (a futex wake
 * and two context switches per line: 11 % of a GetUser's CPU under load), and its console appender writes each line
 * with its own system call. logstash-logback-encoder's disruptor appender batches, but its ring buffer uses
 * {@code sun.misc.Unsafe}, which JDK 25 warns about on stderr at start, where a service's operator reads one line.
 */
public final class BatchingConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  private static final LongAdder DROPPED = new LongAdder();
  /** A batch larger than this is written in several parts, each of whole lines. */
  private static final int WRITE_CHUNK = 64 * 1024;

  private Encoder<ILoggingEvent> encoder;
  private int queueSize = 16_384;
  private long batchMillis = 5;
  private OutputStream out = new FileOutputStream(FileDescriptor.out);
  private ArrayBlockingQueue<ILoggingEvent> queue;
  private Thread writer;
  private volatile boolean writing;

  /** The lines dropped since the process started, by every instance: the queue was full. */
  public static long droppedLines() {
    return DROPPED.sum();
  }

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = requireNonNull(encoder, "encoder");
  }

  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  public void setBatchMillis(long batchMillis) {
    this.batchMillis = batchMillis;
  }

  /** Where the lines go instead of stdout (tests). */
  public void setOutputStream(OutputStream out) {
    this.out = requireNonNull(out, "out");
  }

  @Override
  public void start() {
    if (encoder == null || queueSize < 1 || batchMillis < 1) {
      addError("an encoder, queueSize >= 1 and batchMillis >= 1 are required for appender " + getName());
      return;
    }
    if (!encoder.isStarted()) {
      encoder.start();
    }
    queue = new ArrayBlockingQueue<>(queueSize);
    writing = true;
    writer = Thread.ofPlatform().daemon().name("log-writer-" + getName()).start(this::writeLoop);
    super.start();
  }

  /** Lets the writer write what is queued (up to 10 s), then stops it. */
  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop(); // no new lines from here on
    writing = false;
    LockSupport.unpark(writer);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  protected void append(ILoggingEvent event) {
    // The message, thread name and MDC are read here, on the caller's thread, as logback's AsyncAppender does.
    event.prepareForDeferredProcessing();
    if (!queue.offer(event)) {
      DROPPED.increment();
    }
  }

  private void writeLoop() {
    List<ILoggingEvent> batch = new ArrayList<>();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(WRITE_CHUNK);
    long pauseNanos = TimeUnit.MILLISECONDS.toNanos(batchMillis);
    while (writing || !queue.isEmpty()) {
      queue.drainTo(batch);
      for (ILoggingEvent event : batch) {
        encode(event, bytes);
        if (bytes.size() >= WRITE_CHUNK) {
          write(bytes);
        }
      }
      write(bytes);
      batch.clear();
      if (writing) {
        LockSupport.parkNanos(this, pauseNanos); // the lines of the next few ms make the next batch
      }
    }
  }

  private void encode(ILoggingEvent event, ByteArrayOutputStream bytes) {
    try {
      bytes.writeBytes(encoder.encode(event));
    } catch (RuntimeException e) {
      addError("cannot encode a log line", e);
    }
  }

  private void write(ByteArrayOutputStream bytes) {
    if (bytes.size() == 0) {
      return;
    }
    try {
      bytes.writeTo(out);
      out.flush();
    } catch (IOException e) {
      addError("cannot write log lines", e);
    } finally {
      bytes.reset();
    }
  }
}
