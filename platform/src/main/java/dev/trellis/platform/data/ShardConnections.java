package dev.trellis.platform.data;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jooq.ConnectionProvider;
import org.jooq.exception.DataAccessException;

/**
 * jOOQ's connections on one shard: its HikariCP pool behind a door that lets the pool's size of callers through;
 * the others wait here, in arrival order, up to the pool's connection timeout, and the pool itself always has a
 * connection for whoever passes.
 *
 * <p>Why not let HikariCP queue them: every borrow that finds no idle connection makes HikariCP submit a task to
 * its connection-adder thread (HikariPool.addBagItem), even when the pool is full and the task only finds that out,
 * and hands connections over through a SynchronousQueue with a timed wait. With calls on virtual threads, 32 calls
 * in flight on one shard of 5 connections (GetUser beside pgbench), that cost about 8 % of user-service's CPU
 * (async-profiler: addBagItem 3.3 %, the adder thread's wake-ups 4.5 %), and each timed wait more on the JDK's
 * delay thread ({@link CoarseDeadlines}). A waiter here parks without a timeout and is woken once, by the caller
 * that hands it the connection, or by the deadlines' thread when its wait has outlived the connection timeout
 * (within {@link CoarseDeadlines#INTERVAL}).
 *
 * <p>A caller that waits longer than the connection timeout fails as HikariCP's would, with a
 * {@link SQLTransientConnectionException} (UNAVAILABLE, see {@link ShardFailures}), counted in the pool's
 * timeouts; callers waiting here count as the pool's pending ones, their wait as acquire time.
 */
final class ShardConnections implements ConnectionProvider, CoarseDeadlines.Check, AutoCloseable {
  private final HikariDataSource pool;
  private final long timeoutNanos;
  private final PoolCounters counters;
  private final ReentrantLock lock = new ReentrantLock();
  /** Callers waiting for a turn, oldest first; guarded by lock. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  /** Turns nobody holds; guarded by lock. */
  private int free;

  ShardConnections(HikariDataSource pool, int size, Duration timeout, PoolCounters counters) {
    this.pool = pool;
    this.free = size;
    this.timeoutNanos = timeout.toNanos();
    this.counters = counters;
    CoarseDeadlines.watch(this);
  }

  @Override
  public Connection acquire() {
    awaitTurn();
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      endTurn();
      throw new DataAccessException("Error getting connection from data source " + pool, e);
    } catch (RuntimeException | Error e) {
      endTurn();
      throw e;
    }
  }

  @Override
  public void release(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new DataAccessException("Error closing connection " + connection, e);
    } finally {
      endTurn();
    }
  }

  /** Ends the waits that have outlived the connection timeout (the deadlines' thread calls it). */
  @Override
  public void expire(long now) {
    List<Waiter> late = new ArrayList<>();
    lock.lock();
    try {
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (now - waiter.since >= timeoutNanos) {
          it.remove();
          waiter.state = Waiter.TIMED_OUT;
          late.add(waiter);
        }
      }
    } finally {
      lock.unlock();
    }
    late.forEach(waiter -> LockSupport.unpark(waiter.thread));
  }

  /** Stops the deadlines' thread from looking at this shard (the pool is closing). */
  @Override
  public void close() {
    CoarseDeadlines.unwatch(this);
  }

  /** Takes a turn: at once when one is free and nobody waits, else in arrival order within the timeout. */
  private void awaitTurn() {
    Waiter waiter;
    lock.lock();
    try {
      if (free > 0 && waiters.isEmpty()) {
        free--;
        return;
      }
      waiter = new Waiter(Thread.currentThread(), System.nanoTime());
      waiters.addLast(waiter);
    } finally {
      lock.unlock();
    }
    counters.waitBegins();
    try {
      while (waiter.state == Waiter.WAITING) {
        LockSupport.park(this);
        if (Thread.interrupted() && giveUp(waiter)) {
          Thread.currentThread().interrupt();
          // As HikariCP's: a plain SQLException, not a connection failure (the shard is not to blame).
          throw new DataAccessException("Error getting connection from data source " + pool,
              new SQLException(pool.getPoolName() + " - Interrupted during connection acquisition"));
        }
      }
    } finally {
      counters.waitEnds(System.nanoTime() - waiter.since);
    }
    if (waiter.state == Waiter.TIMED_OUT) {
      counters.recordConnectionTimeout();
      throw unavailable(pool.getPoolName() + " - Connection is not available, request timed out after "
          + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + "ms");
    }
  }

  /** An interrupted waiter leaves the queue, unless it was handed a turn meanwhile (then it keeps it). */
  private boolean giveUp(Waiter waiter) {
    lock.lock();
    try {
      if (waiter.state != Waiter.WAITING) {
        Thread.currentThread().interrupt(); // keep the flag for the caller's code
        return false;
      }
      waiters.remove(waiter);
      waiter.state = Waiter.CANCELLED;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Hands the turn to the oldest waiter, or frees it. */
  private void endTurn() {
    Waiter next;
    lock.lock();
    try {
      next = waiters.pollFirst();
      if (next == null) {
        free++;
        return;
      }
      next.state = Waiter.GRANTED;
    } finally {
      lock.unlock();
    }
    LockSupport.unpark(next.thread);
  }

  private DataAccessException unavailable(String message) {
    return new DataAccessException("Error getting connection from data source " + pool,
        new SQLTransientConnectionException(message));
  }

  /** One caller waiting for a turn; its state changes only under the lock. */
  private static final class Waiter {
    static final int WAITING = 0;
    static final int GRANTED = 1;
    static final int TIMED_OUT = 2;
    static final int CANCELLED = 3;

    final Thread thread;
    final long since;
    volatile int state = WAITING;

    Waiter(Thread thread, long since) {
      this.thread = thread;
      this.since = since;
    }
  }
}
