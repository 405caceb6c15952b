package dev.trellis.platform.stream;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.ResourceExhaustedException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.Subscription;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Streams the events of an {@link OutboxFeed} subscription to a client for as long as the client stays. Events are
 * sent while the client is ready and buffered (up to the subscription's bound) while it is not; a client that falls
 * further behind gets RESOURCE_EXHAUSTED and may subscribe again. The stream never ends on its own: the client
 * cancels, or the feed closes (the server is stopping) and the client gets UNAVAILABLE.
 *
 * <p>Sends happen on the feed's poller thread (new events) and in the call's onReady callback (client caught up);
 * one lock keeps them from running at once, since a ServerCall is not thread-safe.
 */
public final class SubscriptionSender<E, T> {
  private final ServerCallStreamObserver<T> call;
  private final Function<? super E, ? extends T> toMessage;
  private final int capacity;
  private Subscription<E> subscription;
  private boolean done;

  private SubscriptionSender(ServerCallStreamObserver<T> call, Function<? super E, ? extends T> toMessage, int capacity) {
    this.call = call;
    this.toMessage = toMessage;
    this.capacity = capacity;
  }

  /**
   * Subscribes to the feed and streams every matching event to the client. Call it from the handler, and return.
   *
   * @param capacity how many events may wait for a slow client before it is cut off
   */
  public static <E, T> void send(StreamObserver<T> responseObserver, OutboxFeed<E> feed,
      Predicate<? super E> wanted, int capacity, Function<? super E, ? extends T> toMessage) {
    requireNonNull(feed, "feed");
    requireNonNull(wanted, "wanted");
    requireNonNull(toMessage, "toMessage");
    ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) requireNonNull(responseObserver, "observer");
    SubscriptionSender<E, T> sender = new SubscriptionSender<>(call, toMessage, capacity);
    call.setOnCancelHandler(sender::cancel);
    call.setOnReadyHandler(sender::drain);
    Subscription<E> subscription = feed.subscribe(wanted, capacity, sender::drain);
    synchronized (sender) {
      sender.subscription = subscription;
      if (sender.done) {
        subscription.close();
        return;
      }
    }
    sender.drain();
  }

  private synchronized void drain() {
    if (done || subscription == null) {
      return;
    }
    if (subscription.isClosed()) {
      // Closed by the feed, not by the client: the server is stopping. UNAVAILABLE tells the client to resubscribe.
      done = true;
      call.onError(StatusMapper.toStatusException(
          new UnavailableException("the server is shutting down; subscribe again")));
      return;
    }
    if (subscription.overflowed()) {
      done = true;
      subscription.close();
      call.onError(StatusMapper.toStatusException(new ResourceExhaustedException(
          "the subscriber fell more than " + capacity + " events behind; subscribe again", Duration.ofSeconds(1))));
      return;
    }
    while (call.isReady()) {
      E event = subscription.poll();
      if (event == null) {
        return;
      }
      call.onNext(toMessage.apply(event));
    }
  }

  private synchronized void cancel() {
    done = true;
    if (subscription != null) {
      subscription.close();
    }
  }
}
