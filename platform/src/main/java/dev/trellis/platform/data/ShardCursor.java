package dev.trellis.platform.data;

import java.sql.Connection;
import java.sql.SQLException;
import org.jooq.Cursor;
import org.jooq.Record;
import org.jooq.RecordMapper;

/** One shard's open cursor in a merge: its connection, its lazily fetched rows, and its current head value. */
final class ShardCursor<T> {
  private final Shard shard;
  private final Connection connection;
  private final Cursor<? extends Record> cursor;
  private final RecordMapper<Record, ? extends T> mapper;
  private T head;
  private boolean closed;

  @SuppressWarnings("unchecked")
  <R extends Record> ShardCursor(Shard shard, Connection connection, Cursor<R> cursor,
      RecordMapper<? super R, ? extends T> mapper) {
    this.shard = shard;
    this.connection = connection;
    this.cursor = cursor;
    this.mapper = (RecordMapper<Record, ? extends T>) mapper;
  }

  /** Moves to the next row; false (and closed) at the end. Fetches from the shard when its buffer is empty. */
  boolean advance() {
    try {
      Record next = cursor.fetchNext();
      if (next == null) {
        head = null;
        close();
        return false;
      }
      head = mapper.map(next);
      return true;
    } catch (RuntimeException e) {
      close();
      throw shard.translate(e);
    }
  }

  T head() {
    return head;
  }

  int shardIndex() {
    return shard.index();
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    head = null;
    try {
      cursor.close();
    } catch (RuntimeException ignored) {
      // The connection may be dead already; releasing it below is what matters.
    }
    release(connection);
  }

  /** Ends the read-only transaction and returns the connection to its pool, whatever state it is in. */
  static void release(Connection connection) {
    if (connection == null) {
      return;
    }
    try {
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // A broken connection: HikariCP evicts it on close.
    }
    try {
      connection.close();
    } catch (SQLException ignored) {
      // Nothing more to release.
    }
  }
}
