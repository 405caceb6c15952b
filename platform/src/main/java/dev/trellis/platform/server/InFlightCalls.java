package dev.trellis.platform.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Keeps track of the calls in flight so that shutdown can end the ones still open after the grace period with a
 * clean status (UNAVAILABLE, which clients retry elsewhere) instead of the HTTP/2 reset of
 * {@code Server.shutdownNow()}. A ServerCall is not thread-safe and the handler may be sending on it at that very
 * moment, so every operation on a tracked call is serialized with {@link #closeAll}; once closed that way, later
 * sends from the handler are dropped.
 *
 * <p>It sits inside tracing, the request id and the access log (so a call ended this way is traced and logged with its status)
 * and outside everything that can close a call itself (auth, limits, errors, the handler), so it sees every close.
 */
final class InFlightCalls implements ServerInterceptor {
  private final Set<TrackedCall<?, ?>> open = ConcurrentHashMap.newKeySet();

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    TrackedCall<ReqT, RespT> tracked = new TrackedCall<>(call, open);
    open.add(tracked);
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(tracked, headers);
    } catch (RuntimeException | Error e) {
      open.remove(tracked);
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        open.remove(tracked);
        super.onCancel();
      }

      @Override
      public void onComplete() {
        open.remove(tracked);
        super.onComplete();
      }
    };
  }

  /** How many calls are open. */
  int size() {
    return open.size();
  }

  /** Closes every open call with {@code status}; returns how many it closed. */
  int closeAll(Status status) {
    return closeAll(status, method -> true);
  }

  /** Closes the open calls of the methods {@code which} accepts with {@code status}; returns how many it closed. */
  int closeAll(Status status, Predicate<MethodDescriptor<?, ?>> which) {
    int closed = 0;
    for (TrackedCall<?, ?> call : open) {
      if (which.test(call.getMethodDescriptor()) && call.closeForShutdown(status)) {
        closed++;
      }
    }
    return closed;
  }

  private static final class TrackedCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    private final Set<TrackedCall<?, ?>> open;
    private boolean closed; // guarded by this

    TrackedCall(ServerCall<ReqT, RespT> delegate, Set<TrackedCall<?, ?>> open) {
      super(delegate);
      this.open = open;
    }

    @Override
    public synchronized void request(int numMessages) {
      if (!closed) {
        super.request(numMessages);
      }
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        super.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(RespT message) {
      if (!closed) {
        super.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        open.remove(this);
        super.close(status, trailers);
      }
    }

    synchronized boolean closeForShutdown(Status status) {
      if (closed) {
        return false;
      }
      closed = true;
      open.remove(this);
      super.close(status, new Metadata());
      return true;
    }
  }
}
