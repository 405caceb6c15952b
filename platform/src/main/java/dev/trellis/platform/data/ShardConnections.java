package dev.trellis.platform.data;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jooq.ConnectionProvider;
import org.jooq.exception.DataAccessException;

/**
 * jOOQ's connections on one shard: its HikariCP pool behind a fair semaphore of the pool's size, so that the
 * callers beyond the pool's size wait here, in arrival order, up to the pool's connection timeout, and the pool
 * itself always has a connection for whoever passes.
 *
 * <p>Why not let HikariCP queue them: every borrow that finds no idle connection makes HikariCP submit a task to
 * its connection-adder thread (HikariPool.addBagItem), even when the pool is full and the task only finds that out,
 * and hands connections over through a SynchronousQueue. With calls on virtual threads, 32 calls in flight on one
 * shard of 5 connections (GetUser beside pgbench), that cost about 8 % of user-service's CPU (async-profiler:
 * addBagItem 3.3 %, the adder thread's wake-ups 4.5 %). A semaphore's waiter costs one park and one unpark.
 *
 * <p>A caller that waits longer than the connection timeout fails as HikariCP's would, with a
 * {@link SQLTransientConnectionException} (UNAVAILABLE, see {@link ShardFailures}), counted in the pool's
 * timeouts; callers waiting here count as the pool's pending ones, their wait as acquire time.
 */
final class ShardConnections implements ConnectionProvider {
  private final HikariDataSource pool;
  private final Semaphore permits;
  private final long timeoutNanos;
  private final PoolCounters counters;

  ShardConnections(HikariDataSource pool, int size, Duration timeout, PoolCounters counters) {
    this.pool = pool;
    this.permits = new Semaphore(size, true);
    this.timeoutNanos = timeout.toNanos();
    this.counters = counters;
  }

  @Override
  public Connection acquire() {
    awaitTurn();
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      permits.release();
      throw new DataAccessException("Error getting connection from data source " + pool, e);
    } catch (RuntimeException | Error e) {
      permits.release();
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
      permits.release();
    }
  }

  /** Takes a permit: at once when no one waits and one is free, else in arrival order within the timeout. */
  private void awaitTurn() {
    try {
      if (permits.tryAcquire(0, TimeUnit.NANOSECONDS)) { // honours the queue, unlike tryAcquire()
        return;
      }
      counters.waitBegins();
      long start = System.nanoTime();
      try {
        if (permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
          return;
        }
      } finally {
        counters.waitEnds(System.nanoTime() - start);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DataAccessException("Error getting connection from data source " + pool,
          new SQLTransientConnectionException(pool.getPoolName() + " - interrupted while waiting for a connection"));
    }
    counters.recordConnectionTimeout();
    throw new DataAccessException("Error getting connection from data source " + pool,
        new SQLTransientConnectionException(pool.getPoolName() + " - Connection is not available, request timed out"
            + " after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + "ms"));
  }
}
