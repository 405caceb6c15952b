package dev.trellis.platform.server;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** Holds what it is given until the test runs it: shows how many threads a call asked for, and when. */
final class HeldThreads implements Executor {
  final Queue<Runnable> started = new ArrayDeque<>();
  int given;

  @Override
  public synchronized void execute(Runnable command) {
    given++;
    started.add(command);
  }

  /** Runs what was given, and what that gives in turn, on the calling thread. */
  void runAll() {
    Runnable next;
    while ((next = poll()) != null) {
      next.run();
    }
  }

  private synchronized Runnable poll() {
    return started.poll();
  }
}
