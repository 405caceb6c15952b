package dev.trellis.platform.stream;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.error.ResourceExhaustedException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.Subscription;
import io.grpc.Metadata;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Streams the events of an {@link OutboxFeed} subscription to a client for as long as the client stays. Events are
 * sent while the client is ready and buffered (up to the subscription's bound) while it is not; a client that falls
 * further behind gets RESOURCE_EXHAUSTED and may subscribe again. The stream never ends on its own: the client
 * cancels, or the server begins to shut down (or the feed closes) and the client gets UNAVAILABLE
 * ({@value #SHUTTING_DOWN}) at once.
 *
 * <p>A subscription opens even when some of the shards it follows cannot be read (see {@link OutboxFeed}): it then
 * sends its response headers at once with {@link #UNAVAILABLE_SHARDS} ({@code x-unavailable-shards: 1/4}: one of
 * the four shards it follows), and those shards' events follow, none lost, when they can be read again. The header
 * is absent when every shard answered.
 *
 * <p>Sends happen on the feed's poller thread (new events) and in the call's onReady callback (client caught up);
 * one lock keeps them from running at once, since a ServerCall is not thread-safe.
 */
public final class SubscriptionSender<E, T> {
  /** Response header of a subscription that opened without some of its shards: "missing/followed", as 1/4. */
  public static final Metadata.Key<String> UNAVAILABLE_SHARDS =
      Metadata.Key.of("x-unavailable-shards", Metadata.ASCII_STRING_MARSHALLER);
  /** How a subscription ends when the server stops. */
  public static final String SHUTTING_DOWN = "the server is shutting down; subscribe again";

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
   * Subscribes to the feed's events of every shard (those that join later too) and streams those that match to the
   * client. Call it from the handler, and return.
   *
   * @param capacity how many events may wait for a slow client before it is cut off
   */
  public static <E, T> void send(StreamObserver<T> responseObserver, OutboxFeed<E> feed,
      Predicate<? super E> wanted, int capacity, Function<? super E, ? extends T> toMessage) {
    requireNonNull(feed, "feed");
    send(responseObserver, feed, feed.shards(), wanted, capacity, toMessage);
  }

  /**
   * Subscribes to the events of {@code shards} (those holding what the client follows: a shard down elsewhere
   * does not concern it) and streams those that match to the client. Call it from the handler, and return.
   *
   * @param capacity how many events may wait for a slow client before it is cut off
   */
  public static <E, T> void send(StreamObserver<T> responseObserver, OutboxFeed<E> feed,
      Collection<Integer> shards, Predicate<? super E> wanted, int capacity,
      Function<? super E, ? extends T> toMessage) {
    requireNonNull(feed, "feed");
    requireNonNull(shards, "shards");
    requireNonNull(wanted, "wanted");
    requireNonNull(toMessage, "toMessage");
    ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) requireNonNull(responseObserver, "observer");
    SubscriptionSender<E, T> sender = new SubscriptionSender<>(call, toMessage, capacity);
    call.setOnCancelHandler(sender::cancel);
    call.setOnReadyHandler(sender::drain);
    CallContext.onServerShutdown(sender::shutdown);
    List<Integer> followed = List.copyOf(new java.util.TreeSet<>(shards));
    Subscription<E> subscription = feed.subscribe(followed, wanted, capacity, sender::drain);
    synchronized (sender) {
      sender.subscription = subscription;
      if (sender.done) {
        subscription.close();
        return;
      }
      if (!subscription.unavailableShards().isEmpty()) {
        // Before any event can be sent (drain waits for the subscription to be set, under this lock).
        Metadata headers = new Metadata();
        headers.put(UNAVAILABLE_SHARDS, subscription.unavailableShards().size() + "/" + followed.size());
        CallContext.sendHeadersNow(headers);
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
      call.onError(StatusMapper.toStatusException(new UnavailableException(SHUTTING_DOWN)));
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

  /** The server begins to shut down: end now with UNAVAILABLE. */
  private synchronized void shutdown() {
    if (done) {
      return;
    }
    done = true;
    if (subscription != null) {
      subscription.close();
    }
    call.onError(StatusMapper.toStatusException(new UnavailableException(SHUTTING_DOWN)));
  }

  private synchronized void cancel() {
    done = true;
    if (subscription != null) {
      subscription.close();
    }
  }
}
