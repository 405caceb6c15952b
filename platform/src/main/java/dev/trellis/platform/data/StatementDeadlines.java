package dev.trellis.platform.data;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.postgresql.jdbc.PgStatement;

/**
 * Passes the deadline of the gRPC call being served down to each of its statements, when it is nearer than the
 * pool's own bounds ({@link ShardTimeouts}): the statement gets it as its query timeout (to the millisecond with
 * pgjdbc; the driver asks the server to cancel the statement then) and the connection as its socket timeout, one
 * second later (for a server that answers nothing, not even a cancel). So a call whose client gives up after
 * 300 ms frees its connection and thread about then, not at the pool's statement timeout. HikariCP restores the
 * pool's socket timeout when the connection returns. A call whose deadline has passed runs no statement at all.
 *
 * <p>Calls without a deadline (and the platform's own background work, which runs outside any call) keep the
 * pool's bounds, which cost nothing per statement.
 */
final class StatementDeadlines implements ExecuteListener {
  /** pgjdbc ignores the executor of setNetworkTimeout; HikariCP requires one. */
  private static final Executor DIRECT = Runnable::run;

  private final long statementMillis;

  StatementDeadlines(Duration statementTimeout) {
    this.statementMillis = statementTimeout.toMillis();
  }

  @Override
  public void prepareEnd(ExecuteContext ctx) {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return;
    }
    long left = deadline.timeRemaining(TimeUnit.MILLISECONDS);
    if (left >= statementMillis) {
      return; // the pool's own bounds come first
    }
    if (left <= 0) {
      throw deadlinePassed();
    }
    try {
      Statement statement = ctx.statement();
      if (statement.isWrapperFor(PgStatement.class)) {
        statement.unwrap(PgStatement.class).setQueryTimeoutMs(left);
      } else {
        statement.setQueryTimeout(ShardTimeouts.ceilSeconds(Duration.ofMillis(left))); // JDBC counts in seconds
      }
      ctx.connection().setNetworkTimeout(DIRECT, (int) (left + ShardTimeouts.SOCKET_MARGIN.toMillis()));
    } catch (SQLException e) {
      throw new org.jooq.exception.DataAccessException("cannot bound a statement by the call's deadline", e);
    }
  }

  /** Whether the call being served, if any, is past its deadline. */
  static boolean callDeadlinePassed() {
    Deadline deadline = Context.current().getDeadline();
    return deadline != null && deadline.isExpired();
  }

  /** What a call past its deadline ends with; its client has given up already. */
  static RuntimeException deadlinePassed() {
    return Status.DEADLINE_EXCEEDED.withDescription("the call's deadline passed before the database answered")
        .asRuntimeException();
  }
}
