package dev.trellis.platform.stream;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.InvalidArgumentException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * Reads a client stream item by item, so that one bad item never ends the stream: each parsed item and each message
 * that could not be parsed goes to an {@link ItemHandler} with its index, and the client is asked for the next item
 * only when the handler is done with the last one (a fast client is held back by flow control instead of queueing
 * items in server memory). Without it, a malformed message ends a client stream with INVALID_ARGUMENT.
 *
 * <pre>{@code
 * public StreamObserver<CreateUserRequest> importUsers(StreamObserver<ImportUsersResponse> response) {
 *   return ClientStreamItems.receive(response, new ItemHandler<>() { ... });
 * }
 * }</pre>
 */
public final class ClientStreamItems {
  private ClientStreamItems() {}

  /** The request observer to return from a client-streaming (or bidi) handler. Call it from the handler. */
  public static <T> StreamObserver<T> receive(StreamObserver<?> response, ItemHandler<T> handler) {
    requireNonNull(handler, "handler");
    ServerCallStreamObserver<?> call = (ServerCallStreamObserver<?>) requireNonNull(response, "response");
    Reader<T> reader = new Reader<>(call, handler);
    MalformedItems slot = MalformedItems.current();
    if (slot != null) {
      slot.register(violation -> reader.malformed(new InvalidArgumentException(List.of(violation))));
    }
    call.disableAutoRequest();
    call.request(1);
    return reader;
  }

  /** Callbacks come one at a time from the call (gRPC serializes them), so the index needs no lock. */
  private static final class Reader<T> implements StreamObserver<T> {
    private final ServerCallStreamObserver<?> call;
    private final ItemHandler<T> handler;
    private int index;

    Reader(ServerCallStreamObserver<?> call, ItemHandler<T> handler) {
      this.call = call;
      this.handler = handler;
    }

    @Override
    public void onNext(T item) {
      handler.item(index++, item);
      call.request(1);
    }

    void malformed(InvalidArgumentException problem) {
      handler.malformed(index++, problem);
      call.request(1);
    }

    @Override
    public void onError(Throwable t) {
      handler.cancelled();
    }

    @Override
    public void onCompleted() {
      handler.end();
    }
  }
}
