package dev.trellis.order.api;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.OrderEvent;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.order.v1.TrackOrdersRequest;
import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.ResourceExhaustedException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.Subscription;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;

/**
 * The stream of WatchOrder and TrackOrders: the current state of each order the client follows, then each change
 * to it, from the order-events feed, so changes made by any replica arrive. WatchOrder follows one order and has
 * half-closed at once; TrackOrders adds and removes orders as its client says.
 *
 * <p>No change is missed and none is shown twice or out of order: an order is followed (the feed subscribed)
 * before its current state is read; a change that arrives while that read runs is held back and sent after the
 * state read, and a change whose version is not newer than what was sent for that order is skipped. After the
 * client half-closes, the stream ends once every followed order is CANCELLED or REJECTED.
 *
 * <p>Messages are sent while the client is ready; up to the buffer's capacity waits meanwhile, and a client that
 * falls further behind gets RESOURCE_EXHAUSTED. Sends happen on the feed's poller thread, in onReady and in the
 * request callbacks: one lock keeps them apart, since a ServerCall is not thread-safe.
 */
final class OrderEventStream {
  /** The mark of an order whose first state is being read (and its access checked): its changes are held back. */
  private static final long UNREAD = Long.MAX_VALUE;

  private final ServerCallStreamObserver<dev.trellis.order.v1.OrderEvent> call;
  private final LongFunction<StoredOrder> readAllowed;
  private final int capacity;
  /** Followed orders, and the version last sent of each. */
  private final Map<Long, Long> followed = new ConcurrentHashMap<>();
  /** Followed orders whose last sent state is terminal. */
  private final Map<Long, Boolean> ended = new ConcurrentHashMap<>();
  /** States read and changes held back, sent before the feed's next events. */
  private final Queue<StoredOrder> unsent = new ArrayDeque<>();
  /** Changes that arrived while an order's first state was read, by order: sent after that state, if newer. */
  private final Map<Long, List<StoredOrder>> heldBack = new HashMap<>();
  private int heldBackCount;
  private Subscription<OrderEvent> subscription;
  private boolean halfClosed;
  private boolean done;

  private OrderEventStream(StreamObserver<dev.trellis.order.v1.OrderEvent> response,
      LongFunction<StoredOrder> readAllowed, int capacity) {
    this.call = (ServerCallStreamObserver<dev.trellis.order.v1.OrderEvent>) requireNonNull(response, "response");
    this.readAllowed = requireNonNull(readAllowed, "readAllowed");
    this.capacity = capacity;
  }

  /**
   * WatchOrder: follows one order until it is CANCELLED or REJECTED.
   *
   * @param readAllowed reads an order the caller may see, or throws the ApiException that says why not
   */
  static void watch(StreamObserver<dev.trellis.order.v1.OrderEvent> response, OutboxFeed<OrderEvent> feed,
      LongFunction<StoredOrder> readAllowed, int capacity, long orderId) {
    OrderEventStream stream = open(response, feed, readAllowed, capacity);
    stream.follow(orderId);
    stream.halfClose();
  }

  /** TrackOrders: follows the orders its requests add, until it removes them. */
  static StreamObserver<TrackOrdersRequest> track(StreamObserver<dev.trellis.order.v1.OrderEvent> response,
      OutboxFeed<OrderEvent> feed, LongFunction<StoredOrder> readAllowed, int capacity) {
    OrderEventStream stream = open(response, feed, readAllowed, capacity);
    return new StreamObserver<>() {
      @Override
      public void onNext(TrackOrdersRequest request) {
        switch (request.getChangeCase()) {
          case ADD_ORDER_ID -> stream.follow(request.getAddOrderId());
          case REMOVE_ORDER_ID -> stream.unfollow(request.getRemoveOrderId());
          case CHANGE_NOT_SET -> stream.fail(InvalidArgumentException.of("change",
              "set add_order_id or remove_order_id"));
        }
      }

      @Override
      public void onError(Throwable t) {
        stream.cancel(); // the client cancelled
      }

      @Override
      public void onCompleted() {
        stream.halfClose();
      }
    };
  }

  private static OrderEventStream open(StreamObserver<dev.trellis.order.v1.OrderEvent> response,
      OutboxFeed<OrderEvent> feed, LongFunction<StoredOrder> readAllowed, int capacity) {
    OrderEventStream stream = new OrderEventStream(response, readAllowed, capacity);
    stream.call.setOnCancelHandler(stream::cancel);
    stream.call.setOnReadyHandler(stream::drain);
    Subscription<OrderEvent> subscription =
        feed.subscribe(e -> stream.followed.containsKey(e.orderId()), capacity, stream::drain);
    synchronized (stream) {
      stream.subscription = subscription;
      if (stream.done) {
        subscription.close();
      }
    }
    return stream;
  }

  /** Starts following an order: its changes from now on, then its current state (read after subscribing). */
  private void follow(long orderId) {
    synchronized (this) {
      if (done || followed.containsKey(orderId)) {
        return;
      }
      followed.put(orderId, UNREAD);
    }
    StoredOrder current;
    try {
      if (orderId <= 0) {
        throw InvalidArgumentException.of("add_order_id",
            "must be a positive id, got " + orderId);
      }
      current = readAllowed.apply(orderId);
    } catch (ApiException e) {
      synchronized (this) {
        followed.remove(orderId);
        dropHeldBack(orderId);
        failLocked(e);
      }
      return;
    }
    synchronized (this) {
      if (unsent.size() >= capacity) {
        failLocked(new ResourceExhaustedException("more than " + capacity + " orders wait to be sent; read faster",
            Duration.ofSeconds(1)));
        return;
      }
      followed.put(orderId, 0L);
      unsent.add(current);
      unsent.addAll(dropHeldBack(orderId)); // in feed order; drain skips those not newer than the state read
    }
    drain();
  }

  private synchronized void unfollow(long orderId) {
    followed.remove(orderId);
    ended.remove(orderId);
    dropHeldBack(orderId);
    finishIfDone();
  }

  private List<StoredOrder> dropHeldBack(long orderId) {
    List<StoredOrder> changes = heldBack.remove(orderId);
    if (changes == null) {
      return List.of();
    }
    heldBackCount -= changes.size();
    return changes;
  }

  private synchronized void halfClose() {
    halfClosed = true;
    finishIfDone();
  }

  private synchronized void drain() {
    if (done || subscription == null) {
      return;
    }
    if (subscription.isClosed()) {
      // Closed by the feed, not by the client: the server is stopping.
      failLocked(new UnavailableException("the server is shutting down; watch again"));
      return;
    }
    if (subscription.overflowed()) {
      failLocked(new ResourceExhaustedException(
          "the watcher fell more than " + capacity + " changes behind; watch again", Duration.ofSeconds(1)));
      return;
    }
    while (call.isReady()) {
      StoredOrder next = unsent.poll();
      if (next == null) {
        OrderEvent event = subscription.poll();
        if (event == null) {
          break;
        }
        next = event.order();
      }
      Long sent = followed.get(next.id());
      if (sent != null && sent == UNREAD) {
        if (heldBackCount >= capacity) {
          failLocked(new ResourceExhaustedException("more than " + capacity
              + " changes arrived while orders were read; watch again", Duration.ofSeconds(1)));
          return;
        }
        heldBack.computeIfAbsent(next.id(), id -> new ArrayList<>()).add(next);
        heldBackCount++;
        continue; // its first state is being read: this change may be newer than what the read sees
      }
      if (sent == null || next.version() <= sent) {
        continue; // no longer followed, or not newer than what the client has
      }
      followed.put(next.id(), next.version());
      if (next.status().isTerminal()) {
        ended.put(next.id(), true);
      }
      call.onNext(OrderMessages.toEvent(next));
    }
    finishIfDone();
  }

  /** Ends the stream once the client half-closed and every followed order has ended. */
  private void finishIfDone() {
    if (done || !halfClosed || !unsent.isEmpty()) {
      return;
    }
    for (Long orderId : followed.keySet()) {
      if (!ended.containsKey(orderId)) {
        return;
      }
    }
    done = true;
    closeSubscription();
    call.onCompleted();
  }

  private synchronized void fail(ApiException e) {
    failLocked(e);
  }

  private void failLocked(ApiException e) {
    if (done) {
      return;
    }
    done = true;
    closeSubscription();
    call.onError(StatusMapper.toStatusException(e));
  }

  private synchronized void cancel() {
    done = true;
    closeSubscription();
  }

  private void closeSubscription() {
    if (subscription != null) {
      subscription.close();
    }
  }
}
