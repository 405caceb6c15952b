package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.error.UnavailableException;
import dev.trellis.testing.ShardsExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Callers beyond a shard pool's size wait their turn in front of it ({@link ShardConnections}): one gets the
 * connection when it comes back, one that waits longer than the connection timeout gets UNAVAILABLE and counts as
 * a timeout, one interrupted gives up, and the pool's numbers show the waiting as pending. On a pool of one
 * connection, real PostgreSQL.
 */
class ShardConnectionsIT {
  private static final ShardPoolSettings ONE_CONNECTION = new ShardPoolSettings(1, Duration.ofMillis(500), 16);
  /** Far beyond every bound above: a call that has not ended by then would have hung. */
  private static final Duration HUNG = Duration.ofSeconds(20);

  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.own(1).migrate(Items.MIGRATIONS)
      .pools("test", ONE_CONNECTION);

  private final ShardedDatabase db = shards.database();
  private final Shard shard = db.shard(0);
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void aCallerBeyondThePoolWaitsItsTurnAndGetsTheConnectionWhenItComesBack() throws Exception {
    CountDownLatch letGo = new CountDownLatch(1);
    CompletableFuture<Integer> holder = holdTheConnectionUntil(letGo);

    CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> Items.count(shard), threads);
    await().atMost(HUNG).until(() -> snapshot().pending() == 1);
    assertThat(waiter).isNotDone();

    letGo.countDown();
    assertThat(holder.get(HUNG.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(waiter.get(HUNG.toSeconds(), TimeUnit.SECONDS)).isZero();
    assertThat(snapshot().pending()).isZero();
    assertThat(snapshot().active()).isZero();
  }

  @Test
  void aCallerThatWaitsLongerThanTheConnectionTimeoutIsUnavailableAndCounted() throws Exception {
    long timeoutsBefore = snapshot().connectionTimeouts();
    CountDownLatch letGo = new CountDownLatch(1);
    CompletableFuture<Integer> holder = holdTheConnectionUntil(letGo);
    try {
      assertThatThrownBy(() -> Items.count(shard)).isInstanceOf(UnavailableException.class);
      assertThat(snapshot().connectionTimeouts()).isEqualTo(timeoutsBefore + 1);
      assertThat(snapshot().pending()).isZero();
    } finally {
      letGo.countDown();
    }
    holder.get(HUNG.toSeconds(), TimeUnit.SECONDS);
    // The timed-out caller took no turn with it: the one connection serves the next caller at once.
    assertThat(Items.count(shard)).isZero();
    assertThat(snapshot().active()).isZero();
  }

  @Test
  void anInterruptedWaiterFailsLeavesTheQueueAndKeepsItsInterrupt() throws Exception {
    CountDownLatch letGo = new CountDownLatch(1);
    CompletableFuture<Integer> holder = holdTheConnectionUntil(letGo);
    CompletableFuture<Boolean> interruptKept = new CompletableFuture<>();
    Thread waiter = Thread.ofVirtual().start(() -> {
      try {
        Items.count(shard);
        interruptKept.completeExceptionally(new AssertionError("the waiter got a connection"));
      } catch (RuntimeException e) {
        interruptKept.complete(Thread.currentThread().isInterrupted());
      }
    });
    try {
      await().atMost(HUNG).until(() -> snapshot().pending() == 1);
      waiter.interrupt();
      assertThat(interruptKept.get(HUNG.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(snapshot().pending()).isZero();
    } finally {
      letGo.countDown();
    }
    holder.get(HUNG.toSeconds(), TimeUnit.SECONDS);
    assertThat(Items.count(shard)).isZero();
    assertThat(snapshot().active()).isZero();
  }

  /** A call that takes the pool's one connection and keeps it until {@code letGo}; returns once it has it. */
  private CompletableFuture<Integer> holdTheConnectionUntil(CountDownLatch letGo) throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CompletableFuture<Integer> holder = CompletableFuture.supplyAsync(() -> shard.transaction(tx -> {
      holding.countDown();
      hold(letGo);
      return 1;
    }), threads);
    assertThat(holding.await(HUNG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    return holder;
  }

  private ShardPoolSnapshot snapshot() {
    return db.poolSnapshots().getFirst();
  }

  private static void hold(CountDownLatch latch) {
    try {
      if (!latch.await(HUNG.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("never let go");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
