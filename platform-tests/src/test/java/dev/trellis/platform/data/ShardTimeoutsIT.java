package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.ShardsExtension;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every database call takes bounded time (issue 10, item 6). A frozen shard (its postmaster and backends
 * SIGSTOPped: TCP connects, nothing answers) once held a call until the client's deadline, and forever without
 * one. Shards of their own, since the shared ones never stop.
 */
class ShardTimeoutsIT {
  /** Small bounds, so that the test waits seconds: 1 s statements (2 s socket timeout), 1 s connection wait. */
  private static final ShardTimeouts TIMEOUTS = new ShardTimeouts(Duration.ofSeconds(1), Duration.ofMillis(300),
      Duration.ofSeconds(5), Duration.ofMillis(200));
  private static final ShardPoolSettings POOLS = new ShardPoolSettings(3, Duration.ofSeconds(1), 16, TIMEOUTS);
  /** Far beyond every bound above: a call that has not ended by then would have hung. */
  private static final Duration HUNG = Duration.ofSeconds(20);
  private static final String DOWN = "a test shard is unavailable; retry later";
  private static final String SLOW = "a test shard did not answer in time; retry later";

  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.own(2).migrate(Items.MIGRATIONS).pools("test", POOLS);

  private final ShardedDatabase db = shards.database();
  private final Shard frozen = db.shard(1);

  @BeforeEach
  void clean() {
    db.shards().forEach(shard -> shard.read(dsl -> dsl.deleteFrom(Items.TABLE).execute()));
  }

  @AfterEach
  void thaw() {
    shards.servers().thaw(1);
    await().atMost(HUNG).until(frozen::isReachable);
  }

  @Test
  void aFrozenShardAnswersUnavailableWithinSecondsAndFreesItsConnection() throws Exception {
    Items.insert(frozen, 1, "before the freeze");
    shards.servers().freeze(1);

    // No deadline at all: bounded by the pool's socket timeout, not by a client.
    assertThat(failureWithin(HUNG, () -> Items.count(frozen)))
        .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.getMessage()).isEqualTo(DOWN));
    await().atMost(HUNG).until(() -> pool(frozen).getHikariPoolMXBean().getActiveConnections() == 0);

    // The prober finds it down; from then on its calls fail at once, without borrowing a connection.
    await().atMost(HUNG).until(() -> !frozen.isReachable());
    assertThatThrownBy(() -> Items.count(frozen)).isInstanceOf(UnavailableException.class).hasMessage(DOWN);
    assertThat(pool(frozen).getHikariPoolMXBean().getActiveConnections()).isZero();
    // The other shard serves meanwhile.
    Items.insert(db.shard(0), 2, "elsewhere");
    assertThat(Items.count(db.shard(0))).isEqualTo(1);

    shards.servers().thaw(1);
    await().atMost(HUNG).ignoreExceptions().until(() -> Items.count(frozen) == 1);
  }

  @Test
  void theCallsDeadlineBoundsItsStatementsOnAFrozenShard() throws Exception {
    shards.servers().freeze(1);
    Context.CancellableContext call = Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, TIMER);
    try {
      Throwable failure = failureWithin(HUNG, within(call, () -> Items.count(frozen)));
      // The client has given up by then; what matters is that the thread and connection are free again.
      assertThat(failure).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    } finally {
      call.cancel(null);
    }
  }

  @Test
  void aCallPastItsDeadlineRunsNoStatement() {
    Context.CancellableContext call = Context.current().withDeadlineAfter(-1, TimeUnit.MILLISECONDS, TIMER);
    try {
      assertThatThrownBy(() -> within(call, () -> Items.count(db.shard(0))).get())
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    } finally {
      call.cancel(null);
    }
  }

  @Test
  void aLiveShardEndsALongStatementAndALongLockWaitWithUnavailable() throws Exception {
    Shard live = db.shard(0);
    assertThatThrownBy(() -> live.read(dsl -> dsl.execute("SELECT pg_sleep(30)")))
        .isInstanceOf(UnavailableException.class).hasMessage(SLOW);

    Items.insert(live, 3, "locked");
    try (Connection holder = live.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      DSL.using(holder).update(Items.TABLE).set(Items.NAME, "held").where(Items.ID.eq(3L)).execute();
      assertThatThrownBy(() -> live.transaction(dsl ->
          dsl.update(Items.TABLE).set(Items.NAME, "waits").where(Items.ID.eq(3L)).execute()))
          .isInstanceOf(UnavailableException.class).hasMessage(SLOW);
      holder.rollback();
    }
  }

  @Test
  void aShortDeadlineCancelsAStatementOnALiveShardWithoutBreakingTheConnection() throws Exception {
    Shard live = db.shard(0);
    Context.CancellableContext call = Context.current().withDeadlineAfter(200, TimeUnit.MILLISECONDS, TIMER);
    try {
      // Longer than the deadline, shorter than the pool's statement timeout: only the deadline can end it.
      Throwable failure = failureWithin(HUNG, within(call, () -> live.read(dsl ->
          dsl.execute("SELECT pg_sleep(0.9)"))));
      assertThat(failure).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    } finally {
      call.cancel(null);
    }
    // Cancelled by the server on request, not cut by a socket timeout: the pool kept its connections.
    assertThat(pool(live).getHikariPoolMXBean().getTotalConnections()).isEqualTo(POOLS.maxSize());
    assertThat(Items.count(live)).isNotNegative();
  }

  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("deadline-timer").factory());

  private static HikariDataSource pool(Shard shard) {
    return (HikariDataSource) shard.dataSource();
  }

  /** What {@code call} throws, failing the test if it has neither returned nor thrown within {@code max}. */
  private static Throwable failureWithin(Duration max, Supplier<?> call) throws InterruptedException {
    CompletableFuture<?> running = CompletableFuture.supplyAsync(call,
        Executors.newVirtualThreadPerTaskExecutor());
    try {
      Object value = running.get(max.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("the call still runs after " + max + ": it hangs", e);
    }
  }

  /** {@code work} run inside {@code context}, as a handler runs inside its call's Context. */
  private static <T> Supplier<T> within(Context context, Supplier<T> work) {
    return () -> {
      Context previous = context.attach();
      try {
        return work.get();
      } finally {
        context.detach(previous);
      }
    };
  }
}
