package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CallSequenceTest {
  @Test
  void callbacksGivenWhileNoneHasRunShareOneThread() {
    HeldThreads threads = new HeldThreads();
    CallSequence sequence = new CallSequence(threads);
    List<String> ran = new ArrayList<>();

    sequence.execute(() -> ran.add("start"));
    sequence.execute(() -> ran.add("message"));
    sequence.execute(() -> ran.add("half-close"));

    assertThat(threads.started).hasSize(1);
    threads.runAll();
    assertThat(ran).containsExactly("start", "message", "half-close");
  }

  @Test
  void aCallbackAfterTheSequenceRanDryGetsANewThread() {
    HeldThreads threads = new HeldThreads();
    CallSequence sequence = new CallSequence(threads);
    List<String> ran = new ArrayList<>();
    sequence.execute(() -> ran.add("first"));
    threads.runAll();

    sequence.execute(() -> ran.add("second"));

    assertThat(threads.started).hasSize(1);
    threads.runAll();
    assertThat(ran).containsExactly("first", "second");
  }

  @Test
  void theEndRunsHereWhenNothingIsQueuedAndAfterTheQueuedCallbacksOtherwise() {
    HeldThreads threads = new HeldThreads();
    CallSequence sequence = new CallSequence(threads);
    List<String> ran = new ArrayList<>();
    Thread test = Thread.currentThread();

    sequence.executeHereIfIdle(() -> ran.add(Thread.currentThread() == test ? "end here" : "end elsewhere"));
    assertThat(ran).containsExactly("end here");
    assertThat(threads.started).isEmpty();

    sequence.execute(() -> ran.add("message"));
    sequence.executeHereIfIdle(() -> ran.add("end after it"));
    assertThat(ran).containsExactly("end here"); // queued behind the message, not run here
    threads.runAll();
    assertThat(ran).containsExactly("end here", "message", "end after it");
  }

  @Test
  void aFailingCallbackDoesNotStopTheNextOne() {
    HeldThreads threads = new HeldThreads();
    CallSequence sequence = new CallSequence(threads);
    List<String> ran = new ArrayList<>();

    sequence.execute(() -> {
      throw new IllegalStateException("a bug below the chain's error step");
    });
    sequence.execute(() -> ran.add("next"));
    threads.runAll();

    assertThat(ran).containsExactly("next");
  }

  @Test
  void callbacksFromManyThreadsRunOneAtATimeEachSendersInOrder() throws Exception {
    ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor();
    CallSequence sequence = new CallSequence(virtual);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    List<String> ran = new CopyOnWriteArrayList<>();
    int senders = 4;
    int each = 2_000;
    CountDownLatch done = new CountDownLatch(senders * each);
    try (ExecutorService sending = Executors.newFixedThreadPool(senders)) {
      for (int s = 0; s < senders; s++) {
        int sender = s;
        sending.execute(() -> {
          for (int i = 0; i < each; i++) {
            String name = sender + ":" + i;
            Runnable task = () -> {
              if (running.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
              }
              ran.add(name);
              running.decrementAndGet();
              done.countDown();
            };
            if (i % 3 == 0) {
              sequence.executeHereIfIdle(task);
            } else {
              sequence.execute(task);
            }
          }
        });
      }
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      virtual.close();
    }

    assertThat(overlaps.get()).isZero();
    assertThat(ran).hasSize(senders * each);
    for (int s = 0; s < senders; s++) {
      String prefix = s + ":";
      assertThat(ran.stream().filter(name -> name.startsWith(prefix)).map(name -> name.substring(prefix.length()))
          .map(Integer::parseInt).toList()).isSorted();
    }
  }
}
