package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.OrderEvent;
import dev.trellis.order.store.OrderStore;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.Subscription;
import io.grpc.Context;
import io.grpc.Deadline;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Waits for an order to reach a state, whichever replica drives its saga: on the saga's own future when this
 * replica drives it, otherwise on the order-events feed (subscribed before the order is read, so no change slips
 * between). Used by calls that wait for a saga they did not start: a duplicate CreateOrder, CancelOrder.
 */
public final class OrderOutcomes {
  private static final int BUFFER = 64;

  private final OrderStore orders;
  private final OutboxFeed<OrderEvent> events;
  private final SagaRunner runner;

  OrderOutcomes(OrderStore orders, OutboxFeed<OrderEvent> events, SagaRunner runner) {
    this.orders = requireNonNull(orders, "orders");
    this.events = requireNonNull(events, "events");
    this.runner = requireNonNull(runner, "runner");
  }

  /**
   * The order once {@code done} holds for it, or as it is when {@code max} (or the current call's deadline, if
   * sooner) has passed.
   */
  public StoredOrder await(long orderId, Predicate<StoredOrder> done, Duration max) {
    long deadline = System.nanoTime() + limit(max).toNanos();
    Optional<CompletableFuture<StoredOrder>> local = runner.running(orderId);
    if (local.isPresent()) {
      try {
        StoredOrder order = local.get().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (done.test(order)) {
          return order;
        }
      } catch (TimeoutException e) {
        return orders.get(orderId);
      } catch (ExecutionException e) {
        // This replica stopped driving it (lease lost): another one does; follow the feed.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return orders.get(orderId);
      }
    }
    Semaphore changed = new Semaphore(0);
    try (Subscription<OrderEvent> subscription = events.subscribe(e -> e.orderId() == orderId, BUFFER,
        changed::release)) {
      StoredOrder order = orders.get(orderId);
      while (!done.test(order) && !subscription.isClosed()) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !changed.tryAcquire(left, TimeUnit.NANOSECONDS)) {
          break;
        }
        for (OrderEvent event = subscription.poll(); event != null; event = subscription.poll()) {
          if (event.order().version() > order.version()) {
            order = event.order();
          }
        }
        if (subscription.overflowed()) {
          order = orders.get(orderId);
        }
      }
      return order;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return orders.get(orderId);
    }
  }

  /** {@code max}, or less when the call being served has a nearer deadline. */
  private static Duration limit(Duration max) {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return max;
    }
    long left = deadline.timeRemaining(TimeUnit.NANOSECONDS);
    return Duration.ofNanos(Math.max(0, Math.min(left, max.toNanos())));
  }
}
