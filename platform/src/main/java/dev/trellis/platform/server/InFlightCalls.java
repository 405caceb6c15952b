package dev.trellis.platform.server;

import dev.trellis.platform.context.CallControl;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps track of the calls in flight so that shutdown can end the ones still open after the grace period with a
 * clean status (UNAVAILABLE, which clients retry elsewhere) instead of the HTTP/2 reset of
 * {@code Server.shutdownNow()}. A ServerCall is not thread-safe and the handler may be sending on it at that very
 * moment, so every operation on a tracked call is serialized with {@link #closeAll}; once closed that way, later
 * sends from the handler are dropped.
 *
 * <p>It sits inside tracing, the request id and the access log (so a call ended this way is traced and logged with its status)
 * and outside everything that can close a call itself (auth, limits, errors, the handler), so it sees every close.
 *
 * <p>Each tracked call is also the call's {@link CallControl}: long streams register there to end as soon as
 * shutdown begins ({@link #announceShutdown}), and may send their response headers early.
 */
final class InFlightCalls implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(InFlightCalls.class);

  private final Set<TrackedCall<?, ?>> open = ConcurrentHashMap.newKeySet();
  private final Consumer<CallControl> controls;
  private volatile boolean shuttingDown;

  /** @param controls hands each call its control (into the call's record) */
  InFlightCalls(Consumer<CallControl> controls) {
    this.controls = controls;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    TrackedCall<ReqT, RespT> tracked = new TrackedCall<>(call, this);
    open.add(tracked);
    controls.accept(tracked);
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

  /**
   * Shutdown begins: runs what the open calls registered ({@link CallControl#onServerShutdown}), each on a virtual
   * thread of its own so that none holds up the others or the shutdown; calls registering later run theirs at once.
   */
  void announceShutdown() {
    shuttingDown = true;
    for (TrackedCall<?, ?> call : open) {
      call.shutdownActions().forEach(InFlightCalls::runAlone);
    }
  }

  private static void runAlone(Runnable action) {
    Thread.ofVirtual().name("stream-shutdown").start(() -> {
      try {
        action.run();
      } catch (RuntimeException e) {
        log.error("a stream's shutdown action failed", e);
      }
    });
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

  private static final class TrackedCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT>
      implements CallControl {
    private final Set<TrackedCall<?, ?>> open;
    private final InFlightCalls calls;
    private boolean closed; // guarded by this
    private boolean headersSent; // guarded by this
    private boolean announced; // guarded by this
    private final List<Runnable> onShutdown = new ArrayList<>(1); // guarded by this

    TrackedCall(ServerCall<ReqT, RespT> delegate, InFlightCalls calls) {
      super(delegate);
      this.open = calls.open;
      this.calls = calls;
    }

    @Override
    public void onServerShutdown(Runnable action) {
      synchronized (this) {
        if (closed) {
          return;
        }
        if (!announced && !calls.shuttingDown) {
          onShutdown.add(action); // announceShutdown runs it
          return;
        }
      }
      runAlone(action); // shutdown has begun: now, and only here
    }

    /** The actions to run for shutdown, once; none for a call that has ended. */
    synchronized List<Runnable> shutdownActions() {
      announced = true;
      List<Runnable> actions = closed ? List.of() : List.copyOf(onShutdown);
      onShutdown.clear();
      return actions;
    }

    @Override
    public synchronized boolean sendHeadersNow(Metadata headers) {
      if (closed || headersSent) {
        return false;
      }
      headersSent = true;
      super.sendHeaders(headers);
      return true;
    }

    @Override
    public synchronized void request(int numMessages) {
      if (!closed) {
        super.request(numMessages);
      }
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      // Dropped when sent early already (sendHeadersNow): the stub sends them again with its first message.
      if (!closed && !headersSent) {
        headersSent = true;
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
