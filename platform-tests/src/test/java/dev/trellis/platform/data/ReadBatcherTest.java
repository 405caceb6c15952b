package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batching of reads by key, against a scripted store: which statements run, on whose thread, with what. */
class ReadBatcherTest {
  private static final Duration LONG = Duration.ofSeconds(20);

  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final ScriptedReads store = new ScriptedReads();
  private final RuntimeException tooLong = new IllegalStateException("waited too long");

  private ReadBatcher<Long, String> batcher(int maxRunning) {
    return new ReadBatcher<>(maxRunning, 100, LONG, () -> tooLong, store);
  }

  @AfterEach
  void stop() {
    store.release.countDown();
    threads.shutdownNow();
    timer.shutdownNow();
  }

  @Test
  void aReadThatFindsASlotFreeRunsAloneAndFreesIt() {
    ReadBatcher<Long, String> batcher = batcher(1);
    store.release.countDown();

    assertThat(batcher.read(1L)).contains("row 1");
    assertThat(batcher.read(404L)).isEmpty();
    assertThat(batcher.read(2L)).contains("row 2");

    assertThat(store.alone).containsExactly(1L, 404L, 2L);
    assertThat(store.batches).isEmpty();
  }

  @Test
  void readsThatArriveWhileEverySlotRunsShareTheNextStatement() throws Exception {
    ReadBatcher<Long, String> batcher = batcher(2);
    CompletableFuture<Optional<String>> first = read(batcher, 1L);
    await().atMost(LONG).until(() -> store.alone.size() == 1);
    CompletableFuture<Optional<String>> second = read(batcher, 2L);
    await().atMost(LONG).until(() -> store.alone.size() == 2); // both slots run, held by the store
    List<CompletableFuture<Optional<String>>> waiting = queue(batcher, 3, 4, 3, 404);

    store.release.countDown();

    assertThat(first.get(20, TimeUnit.SECONDS)).contains("row 1");
    assertThat(second.get(20, TimeUnit.SECONDS)).contains("row 2");
    assertThat(waiting.get(0).get(20, TimeUnit.SECONDS)).contains("row 3");
    assertThat(waiting.get(1).get(20, TimeUnit.SECONDS)).contains("row 4");
    assertThat(waiting.get(2).get(20, TimeUnit.SECONDS)).contains("row 3");
    assertThat(waiting.get(3).get(20, TimeUnit.SECONDS)).as("a key the store lacks").isEmpty();
    // One statement for the four, each key once, in the order they came; the slot is handed on, not taken twice.
    assertThat(store.batches).containsExactly(List.of(3L, 4L, 404L));
    assertThat(store.alone).containsExactly(1L, 2L);
    // Every slot is free again: the next reads run alone.
    assertThat(batcher.read(5L)).contains("row 5");
    assertThat(batcher.read(6L)).contains("row 6");
    assertThat(store.alone).containsExactly(1L, 2L, 5L, 6L);
  }

  @Test
  void aBatchTakesAtMostItsLimitAndTheRestGoNext() throws Exception {
    ReadBatcher<Long, String> batcher = new ReadBatcher<>(1, 2, LONG, () -> tooLong, store);
    CompletableFuture<Optional<String>> holder = holdTheSlot(batcher);
    List<CompletableFuture<Optional<String>>> waiting = queue(batcher, 2, 3, 4);

    store.release.countDown();

    assertThat(holder.get(20, TimeUnit.SECONDS)).contains("row 1");
    for (int i = 0; i < 3; i++) {
      assertThat(waiting.get(i).get(20, TimeUnit.SECONDS)).contains("row " + (i + 2));
    }
    assertThat(store.batches).containsExactly(List.of(2L, 3L), List.of(4L));
  }

  @Test
  void theBatchRunsOnTheThreadOfTheReadWhoseCallWaitsLongest() throws Exception {
    ReadBatcher<Long, String> batcher = batcher(1);
    CompletableFuture<Optional<String>> holder = holdTheSlot(batcher);
    Context.CancellableContext soon = Context.current().withDeadlineAfter(30, TimeUnit.SECONDS, timer);
    Context.CancellableContext later = Context.current().withDeadlineAfter(60, TimeUnit.SECONDS, timer);
    try {
      CompletableFuture<Thread> a = threadOf(() -> soon.call(() -> batcher.read(2L)));
      await().atMost(LONG).until(() -> batcher.waiting() == 1);
      CompletableFuture<Thread> b = threadOf(() -> later.call(() -> batcher.read(3L)));
      await().atMost(LONG).until(() -> batcher.waiting() == 2);

      store.release.countDown();

      assertThat(holder.get(20, TimeUnit.SECONDS)).contains("row 1");
      Thread ranByB = b.get(20, TimeUnit.SECONDS);
      a.get(20, TimeUnit.SECONDS);
      // Its statement runs under its own call's deadline, the farthest: no read in it is cut short by another's.
      assertThat(store.batchThreads).containsExactly(ranByB);
    } finally {
      soon.cancel(null);
      later.cancel(null);
    }
  }

  @Test
  void aReadLeavesTheQueueWhenItsCallsDeadlinePassesAndNoStatementRunsForIt() throws Exception {
    ReadBatcher<Long, String> batcher = batcher(1);
    CompletableFuture<Optional<String>> holder = holdTheSlot(batcher);
    Context.CancellableContext shortCall = Context.current().withDeadlineAfter(100, TimeUnit.MILLISECONDS, timer);
    CompletableFuture<Optional<String>> late = CompletableFuture.supplyAsync(() -> {
      try {
        return shortCall.call(() -> batcher.read(2L));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    }, threads);

    assertThatThrownBy(() -> late.get(20, TimeUnit.SECONDS)).rootCause()
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(batcher.waiting()).isZero();
    store.release.countDown();
    assertThat(holder.get(20, TimeUnit.SECONDS)).contains("row 1");
    assertThat(batcher.read(3L)).as("the slot is free").contains("row 3");
    assertThat(store.batches).isEmpty();
  }

  @Test
  void aReadWithoutADeadlineLeavesAfterTheLongestWaitWithTheShardsFailure() throws Exception {
    ReadBatcher<Long, String> batcher = new ReadBatcher<>(1, 100, Duration.ofMillis(200), () -> tooLong, store);
    CompletableFuture<Optional<String>> holder = holdTheSlot(batcher);

    CompletableFuture<Optional<String>> stuck = read(batcher, 2L);

    assertThatThrownBy(() -> stuck.get(20, TimeUnit.SECONDS)).rootCause().isSameAs(tooLong);
    assertThat(batcher.waiting()).isZero();
    store.release.countDown();
    assertThat(holder.get(20, TimeUnit.SECONDS)).contains("row 1");
    assertThat(batcher.read(3L)).contains("row 3");
  }

  @Test
  void aFailedStatementFailsEveryReadInItAndFreesTheSlot() throws Exception {
    ReadBatcher<Long, String> batcher = batcher(1);
    CompletableFuture<Optional<String>> holder = holdTheSlot(batcher);
    CompletableFuture<Optional<String>> a = read(batcher, ScriptedReads.FAILS);
    CompletableFuture<Optional<String>> b = read(batcher, 2L);
    await().atMost(LONG).until(() -> batcher.waiting() == 2);

    store.release.countDown();

    assertThat(holder.get(20, TimeUnit.SECONDS)).contains("row 1");
    for (CompletableFuture<Optional<String>> failed : List.of(a, b)) {
      assertThatThrownBy(() -> failed.get(20, TimeUnit.SECONDS)).rootCause()
          .isInstanceOf(IllegalStateException.class).hasMessage("the shard broke");
    }
    assertThat(batcher.read(3L)).contains("row 3");
    assertThat(store.alone).containsExactly(1L, 3L);
  }

  /** Key 1 read alone, held by the store until released: the slot of a batcher of one is taken. */
  private CompletableFuture<Optional<String>> holdTheSlot(ReadBatcher<Long, String> batcher) {
    CompletableFuture<Optional<String>> holder = read(batcher, 1L);
    await().atMost(LONG).until(() -> store.alone.contains(1L));
    return holder;
  }

  /** Reads that wait for a slot, each queued before the next starts (so their order is known). */
  private List<CompletableFuture<Optional<String>>> queue(ReadBatcher<Long, String> batcher, long... keys) {
    List<CompletableFuture<Optional<String>>> waiting = new ArrayList<>();
    int before = batcher.waiting();
    for (long key : keys) {
      waiting.add(read(batcher, key));
      int queued = before + waiting.size();
      await().atMost(LONG).until(() -> batcher.waiting() == queued);
    }
    return waiting;
  }

  private CompletableFuture<Optional<String>> read(ReadBatcher<Long, String> batcher, long key) {
    return CompletableFuture.supplyAsync(() -> batcher.read(key), threads);
  }

  private CompletableFuture<Thread> threadOf(java.util.concurrent.Callable<?> call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        call.call();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
      return Thread.currentThread();
    }, threads);
  }

  /** Rows "row N" for every key but 404; a read alone waits for {@link #release}; FAILS breaks a batch. */
  private static final class ScriptedReads implements ReadBatcher.Reads<Long, String> {
    static final long FAILS = -1;
    final CountDownLatch release = new CountDownLatch(1);
    final List<Long> alone = new CopyOnWriteArrayList<>();
    final List<List<Long>> batches = new CopyOnWriteArrayList<>();
    final List<Thread> batchThreads = new CopyOnWriteArrayList<>();

    @Override
    public Optional<String> readOne(Long key) {
      alone.add(key);
      await(release);
      return key == 404 ? Optional.empty() : Optional.of("row " + key);
    }

    @Override
    public Map<Long, String> readMany(Set<Long> keys) {
      batches.add(List.copyOf(keys));
      batchThreads.add(Thread.currentThread());
      if (keys.contains(FAILS)) {
        throw new IllegalStateException("the shard broke");
      }
      Map<Long, String> rows = new ConcurrentHashMap<>();
      keys.stream().filter(key -> key != 404).forEach(key -> rows.put(key, "row " + key));
      return rows;
    }

    private static void await(CountDownLatch latch) {
      try {
        if (!latch.await(20, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
