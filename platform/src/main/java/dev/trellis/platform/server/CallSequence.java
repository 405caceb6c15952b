package dev.trellis.platform.server;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one call's tasks one at a time, in the order they were given, on threads of {@code threads}: while tasks are
 * queued one thread runs them all, so the callbacks that arrive together (a unary call's start, message and
 * half-close) cost one thread start. grpc-java's own SerializingExecutor does this for its executor, but it is
 * internal API.
 */
final class CallSequence implements Executor {
  private static final Logger log = LoggerFactory.getLogger(CallSequence.class);

  private final Executor threads;
  private final Queue<Runnable> queued = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean();

  CallSequence(Executor threads) {
    this.threads = threads;
  }

  @Override
  public void execute(Runnable task) {
    queued.add(task);
    if (running.compareAndSet(false, true)) {
      threads.execute(this::drain);
    }
  }

  /**
   * Runs {@code task} on the calling thread when nothing of the call is queued or running, else queues it: for a
   * callback that only tells the call is over, not worth a thread of its own.
   */
  void executeHereIfIdle(Runnable task) {
    if (!queued.isEmpty() || !running.compareAndSet(false, true)) {
      execute(task);
      return;
    }
    try {
      runLogged(task);
    } finally {
      release();
    }
  }

  private void drain() {
    try {
      Runnable task;
      while ((task = queued.poll()) != null) {
        runLogged(task);
      }
    } finally {
      release();
    }
  }

  /** Lets the next task start a thread; one queued meanwhile (it saw {@code running} set) is started here. */
  private void release() {
    running.set(false);
    if (!queued.isEmpty() && running.compareAndSet(false, true)) {
      threads.execute(this::drain);
    }
  }

  private static void runLogged(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      // The chain's error step maps what a handler throws; this is a bug below it. The next task still runs.
      log.error("a call's callback failed", e);
    }
  }
}
