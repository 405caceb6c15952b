package dev.trellis.testing;

import static dev.trellis.testing.ErrorDetails.retryDelay;
import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * One shard's PostgreSQL stopped under load and started again, the phases every shard-outage test goes through:
 * callers call until the drill ends; the shard stops once both shards served {@value #PROGRESS} calls, and starts
 * again once {@value #PROGRESS} calls were UNAVAILABLE and the other shard served {@value #PROGRESS} more while it was
 * down (the service's health of the shard says when it is down and back); the drill ends once the restarted shard
 * served {@value #PROGRESS} more. A failed call goes to {@link #failed}: UNAVAILABLE with RetryInfo is counted and its
 * delay honoured (up to a second), as a well-behaved client does; anything else is unexpected.
 *
 * <pre>{@code
 * ShardOutageDrill drill = new ShardOutageDrill(shards, 1, () -> health("shards/user/shard-1"));
 * drill.run(4, 3000, caller -> i -> {
 *   try { ...; drill.served(shardOfTheCall); } catch (StatusRuntimeException e) { drill.failed(e); }
 * });
 * assertThat(drill.unexpected()).isEmpty();
 * }</pre>
 */
public final class ShardOutageDrill {
  /** How many calls each phase waits for. */
  public static final int PROGRESS = 10;
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final ShardsExtension shards;
  private final int stopped;
  private final Supplier<ServingStatus> health;
  private final AtomicInteger[] served = {new AtomicInteger(), new AtomicInteger()};
  private final AtomicInteger servedByOtherWhileDown = new AtomicInteger();
  private final AtomicInteger unavailable = new AtomicInteger();
  private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicBoolean done = new AtomicBoolean();

  /**
   * @param shards two shards of the class's own
   * @param stopped the index of the shard to stop, 0 or 1
   * @param health the service's health of that shard ({@code shards/<kind>/shard-<n>})
   */
  public ShardOutageDrill(ShardsExtension shards, int stopped, Supplier<ServingStatus> health) {
    this.shards = requireNonNull(shards, "shards");
    if (stopped != 0 && stopped != 1) {
      throw new IllegalArgumentException("stopped must be 0 or 1, got " + stopped);
    }
    this.stopped = stopped;
    this.health = requireNonNull(health, "health");
  }

  /** The calls of one caller: call {@code i} of at most {@code callsEach}. */
  @FunctionalInterface
  public interface Calls {
    void call(int i) throws Exception;
  }

  /**
   * Runs {@code callers} callers, each with its own calls from {@code caller} (given the caller's index), through
   * the phases; returns once the callers have ended. The stopped shard runs again afterwards, whatever happened.
   */
  public void run(int callers, int callsEach, IntFunction<Calls> caller) throws Exception {
    ExecutorService load = Executors.newFixedThreadPool(callers);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        Calls calls = caller.apply(c);
        running.add(load.submit(() -> {
          for (int i = 0; i < callsEach && !done.get(); i++) {
            calls.call(i);
          }
          return null;
        }));
      }
      int other = 1 - stopped;
      await().atMost(WAIT).until(() -> served[stopped].get() >= PROGRESS && served[other].get() >= PROGRESS);
      shards.servers().stop(stopped);
      await().atMost(WAIT).until(() -> health.get() == ServingStatus.NOT_SERVING);
      down.set(true);
      await().atMost(WAIT).until(() -> unavailable.get() >= PROGRESS && servedByOtherWhileDown.get() >= PROGRESS);
      int servedBefore = served[stopped].get();
      shards.servers().start(stopped);
      await().atMost(WAIT).until(() -> health.get() == ServingStatus.SERVING);
      down.set(false);
      await().atMost(WAIT).until(() -> served[stopped].get() >= servedBefore + PROGRESS);
      done.set(true);
      for (Future<?> callerDone : running) {
        callerDone.get(120, TimeUnit.SECONDS);
      }
    } finally {
      done.set(true);
      load.shutdownNow();
      shards.servers().start(stopped);
    }
  }

  /** A call that needed {@code shard} (0 or 1) was served. */
  public void served(int shard) {
    served[shard].incrementAndGet();
    if (shard != stopped && down.get()) {
      servedByOtherWhileDown.incrementAndGet();
    }
  }

  /** Counts an UNAVAILABLE with RetryInfo and waits as it asks (up to 1 s); anything else is unexpected. */
  public void failed(StatusRuntimeException e) throws InterruptedException {
    Duration delay = e.getStatus().getCode() == Status.Code.UNAVAILABLE
        ? retryDelay(e.getStatus(), e.getTrailers()) : Duration.ZERO;
    if (delay.isPositive()) {
      unavailable.incrementAndGet();
      Thread.sleep(delay.compareTo(Duration.ofSeconds(1)) < 0 ? delay : Duration.ofSeconds(1));
    } else {
      unexpected.add(e.getStatus() + " (trailers " + e.getTrailers() + ")");
    }
  }

  /** Records what should not have happened. */
  public void unexpected(String what) {
    unexpected.add(requireNonNull(what, "what"));
  }

  /** What should not have happened, in the order it did. */
  public List<String> unexpected() {
    return List.copyOf(unexpected);
  }

  /** Whether the shard is stopped now (from its health going NOT_SERVING to SERVING again). */
  public boolean shardDown() {
    return down.get();
  }

  /** A line for the test's output: what was served where and how many calls were UNAVAILABLE. */
  public String summary() {
    return String.format("calls served shard-%d %d (%d while shard-%d was down), shard-%d %d; %d calls UNAVAILABLE"
        + " with RetryInfo", 1 - stopped, served[1 - stopped].get(), servedByOtherWhileDown.get(), stopped, stopped,
        served[stopped].get(), unavailable.get());
  }
}
