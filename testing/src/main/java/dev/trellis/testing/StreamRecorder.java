package dev.trellis.testing;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Records what a streaming call delivers, for tests: its messages as they arrive, how it ended, and the call itself
 * (to cancel it, or to ask for more). It asks for a fixed number of messages up front ({@link #window}), or reads
 * everything ({@link #reading}): a window of 0 is a client that never reads, so the server's flow control shows.
 *
 * <pre>{@code
 * StreamRecorder<SubscribeRequest, UserUpdate> updates = StreamRecorder.reading();
 * stub.subscribeToUpdates(request, updates);
 * await().until(() -> updates.messages().size() == 2);
 * }</pre>
 */
public final class StreamRecorder<ReqT, RespT> implements ClientResponseObserver<ReqT, RespT> {
  private final List<RespT> messages = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Status> status = new CompletableFuture<>();
  private final AtomicReference<ClientCallStreamObserver<ReqT>> call = new AtomicReference<>();
  private volatile Throwable error;
  private final int window;

  private StreamRecorder(int window) {
    this.window = window;
  }

  /** A client that reads every message as it comes (gRPC's automatic flow control). */
  public static <ReqT, RespT> StreamRecorder<ReqT, RespT> reading() {
    return new StreamRecorder<>(-1);
  }

  /** A client that asks for {@code messages} messages and no more until told ({@code call().request(n)}). */
  public static <ReqT, RespT> StreamRecorder<ReqT, RespT> window(int messages) {
    if (messages < 0) {
      throw new IllegalArgumentException("messages must be >= 0");
    }
    return new StreamRecorder<>(messages);
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ReqT> requestStream) {
    call.set(requestStream);
    if (window >= 0) {
      requestStream.disableAutoRequestWithInitial(window);
    }
  }

  @Override
  public void onNext(RespT value) {
    messages.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
    status.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    status.complete(Status.OK);
  }

  /** The messages so far, in order; the list grows while the call runs. */
  public List<RespT> messages() {
    return messages;
  }

  /** Whether the call has ended, with a status or completed. */
  public boolean ended() {
    return status.isDone();
  }

  /** What the call failed with (its status and trailers, for the google.rpc details), or null. */
  public Throwable error() {
    return error;
  }

  /** How the call ended; OK when it completed. */
  public Status awaitStatus(Duration timeout) {
    try {
      return status.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for the call to end", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("the call did not end within " + timeout, e);
    }
  }

  /** The call, to cancel it or ask for more messages. */
  public ClientCallStreamObserver<ReqT> call() {
    return call.get();
  }
}
