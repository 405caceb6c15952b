package dev.trellis.order.partner;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.function.Function;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.TableField;
import org.jooq.impl.DSL;

/**
 * What the simulators share: their ledger tables on the shard of the order's bucket (its row moves with the order's
 * bucket, and an order never needs another shard than its own for its partners), written in autocommit and never
 * inside an order's transaction (a partner's books do not roll back with the order), and a simulated latency per
 * call, so tests and benchmarks can hold a saga at a chosen step.
 */
final class SimulatorLedger {
  /** How long a partner that "never answers" takes: far beyond any step timeout, ended early by its interrupt. */
  static final Duration NEVER = Duration.ofMinutes(10);
  /** The state of a key whose action was undone before it happened. */
  static final String VOIDED = "VOIDED";

  private final ShardedDatabase db;
  private final Duration latency;

  SimulatorLedger(ShardedDatabase db, Duration latency) {
    this.db = requireNonNull(db, "db");
    this.latency = requireNonNull(latency, "latency");
  }

  /** Sleeps the simulated latency; an interrupt (the step timed out) ends the call unanswered. */
  void delay(String partner) {
    sleep(latency, partner);
  }

  /** Does not answer: the caller's timeout interrupts it. */
  void hang(String partner) {
    sleep(NEVER, partner);
    throw new PartnerUnavailableException(partner + " did not answer");
  }

  /** One autocommit statement on the shard of the order's bucket. */
  <T> T write(long orderId, Function<DSLContext, T> work) {
    return db.shardOfId(orderId).read(work);
  }

  /**
   * Undoes what was done under {@code key}: a {@code done} row becomes {@code undone}; without any row, a VOIDED
   * row is left, so that the action, should it still arrive (it timed out on the caller's side), finds it and does
   * nothing. A repeat changes nothing.
   */
  <R extends Record> void undo(Table<R> table, TableField<R, String> keyField, TableField<R, Long> orderField,
      TableField<R, String> state, TableField<R, OffsetDateTime> updatedAt, String key, long orderId, String done,
      String undone) {
    write(orderId, dsl -> {
      int voided = dsl.insertInto(table).set(keyField, key).set(orderField, orderId).set(state, VOIDED)
          .onConflictDoNothing().execute();
      if (voided == 0) {
        dsl.update(table).set(state, undone).set(updatedAt, DSL.currentOffsetDateTime())
            .where(keyField.eq(key), state.eq(done))
            .execute();
      }
      return null;
    });
  }

  /** The first row of {@code table} that matches, looked for on every shard (read-only, for tests and checks). */
  <R extends Record> Optional<R> find(Table<R> table, Condition condition) {
    for (Shard shard : db.shards()) {
      Optional<R> found = shard.read(dsl -> dsl.selectFrom(table).where(condition).fetchOptional());
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  /** How many rows of {@code table} match, over all shards. */
  long count(Table<?> table, Condition condition) {
    long count = 0;
    for (Shard shard : db.shards()) {
      count += shard.read(dsl -> dsl.fetchCount(table, condition));
    }
    return count;
  }

  /** Sleeps {@code duration}; an interrupt (the step timed out) ends the call unanswered. */
  static void sleep(Duration duration, String partner) {
    if (duration.isZero()) {
      return;
    }
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PartnerUnavailableException(partner + " did not answer in time");
    }
  }
}
