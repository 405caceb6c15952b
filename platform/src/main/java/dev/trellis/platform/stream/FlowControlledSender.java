package dev.trellis.platform.stream;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.error.UnavailableException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a lazy source (such as the keyset-batched merge of shard reads) to a client, pulling the next item only
 * while the client is ready to take it. A slow client therefore holds back the reads instead of filling the
 * server's memory, which is what gRPC's isReady/onReady contract is for.
 *
 * <p>Pumping happens in the call's own callbacks (the handler, then each onReady), which gRPC runs one at a time;
 * a lock keeps them apart from the server's shutdown, so the source is consumed from one thread at a time. The
 * source is closed when it is exhausted, when it fails, when the client cancels, and when the server begins to shut
 * down: the stream then ends at once with UNAVAILABLE ({@value #SHUTTING_DOWN}), as every long stream of the
 * platform does, rather than running out the grace period. A client that stopped reading gets that status after
 * the messages already on their way, if it reads again before the grace period ends.
 */
public final class FlowControlledSender<E, T, S extends Iterator<E> & AutoCloseable> {
  /** How a stream cut by shutdown ends. */
  public static final String SHUTTING_DOWN = "the server is shutting down; call again";

  private static final Logger log = LoggerFactory.getLogger(FlowControlledSender.class);

  private final ServerCallStreamObserver<T> call;
  private final S source;
  private final Function<? super E, ? extends T> toMessage;
  private final Function<? super S, Metadata> trailers;
  private final ReentrantLock lock = new ReentrantLock(); // not synchronized: a pump blocks on the database
  private boolean done; // guarded by lock

  private FlowControlledSender(ServerCallStreamObserver<T> call, S source, Function<? super E, ? extends T> toMessage,
      Function<? super S, Metadata> trailers) {
    this.call = call;
    this.source = source;
    this.toMessage = toMessage;
    this.trailers = trailers;
  }

  /** Sends every item of the source, then completes the call. Call it from the handler, and return. */
  public static <T, S extends Iterator<T> & AutoCloseable> void send(StreamObserver<T> responseObserver, S source) {
    send(responseObserver, source, t -> t, s -> new Metadata());
  }

  /**
   * Sends every item of the source as a message, then completes the call with the trailers computed from the
   * exhausted source (a next-page token, say). Call it from the handler, and return.
   */
  public static <E, T, S extends Iterator<E> & AutoCloseable> void send(StreamObserver<T> responseObserver,
      S source, Function<? super E, ? extends T> toMessage, Function<? super S, Metadata> trailers) {
    requireNonNull(source, "source");
    requireNonNull(toMessage, "toMessage");
    requireNonNull(trailers, "trailers");
    ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) requireNonNull(responseObserver, "observer");
    FlowControlledSender<E, T, S> sender = new FlowControlledSender<>(call, source, toMessage, trailers);
    call.setOnCancelHandler(sender::cancel);
    call.setOnReadyHandler(sender::pump);
    CallContext.onServerShutdown(sender::shutdown);
    // The first onReady may have fired before the handler ran; start pumping now.
    sender.pump();
  }

  private void pump() {
    lock.lock();
    try {
      pumpLocked();
    } finally {
      lock.unlock();
    }
  }

  private void pumpLocked() {
    if (done) {
      return;
    }
    try {
      while (call.isReady()) {
        if (!source.hasNext()) {
          finish();
          return;
        }
        call.onNext(toMessage.apply(source.next()));
      }
    } catch (ApiException e) {
      done = true;
      closeSource();
      call.onError(StatusMapper.toStatusException(e));
    } catch (RuntimeException e) {
      done = true;
      closeSource();
      // Unplanned: the error interceptor logs it and shows the client a bare INTERNAL.
      call.onError(e);
    }
  }

  private void finish() {
    done = true;
    Metadata trailing = trailers.apply(source);
    closeSource();
    if (trailing.keys().isEmpty()) {
      call.onCompleted();
    } else {
      // ServerCallStreamObserver has no way to attach trailers to onCompleted; closing with an OK status that
      // carries them is how grpc-java's stub passes trailers on a successful close.
      call.onError(Status.OK.asRuntimeException(trailing));
    }
  }

  private void cancel() {
    lock.lock();
    try {
      done = true;
      closeSource();
    } finally {
      lock.unlock();
    }
  }

  /** The server begins to shut down: end now, after the item being sent, if any. */
  private void shutdown() {
    lock.lock();
    try {
      if (done) {
        return;
      }
      done = true;
      closeSource();
      call.onError(StatusMapper.toStatusException(new UnavailableException(SHUTTING_DOWN)));
    } finally {
      lock.unlock();
    }
  }

  private void closeSource() {
    try {
      source.close();
    } catch (Exception e) {
      log.warn("closing a stream source failed", e);
    }
  }
}
