package dev.trellis.platform.server;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a call leaves the transport's thread: the steps outside this one (tracing, request id, access log,
 * calls in flight, per-address limit) run where grpc-java delivers the call, since none of them blocks; the steps
 * inside it (auth, which may fetch signing keys, the per-principal limit, access, errors) and the handler, which
 * blocks on JDBC, run on virtual threads, one at a time per call and in order ({@link CallSequence}).
 *
 * <p>The server runs with grpc-java's direct executor, so this replaces the executor's hop of every callback (three
 * virtual-thread starts per unary call: start, message and half-close, completion) with one: a unary call's start,
 * message and half-close arrive together and run on one thread, and its completion runs where it arrives when
 * nothing of the call is still queued (it only tells that the call is over: no handler blocks there).
 *
 * <p>The callbacks run in the gRPC {@link Context} that was current where the call arrived, which carries the
 * OpenTelemetry context too (the grpc instrumentation's context storage bridges both), so the handler's outgoing
 * calls are children of its server span and see its deadline.
 */
final class HandlerThreadHop implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(HandlerThreadHop.class);

  private final Executor threads;
  private final Set<String> oneRequestMethods;

  /**
   * @param oneRequestMethods the full names of the methods whose client sends one request (unary and server
   *     streaming), as their services declare them
   */
  HandlerThreadHop(Executor threads, Set<String> oneRequestMethods) {
    this.threads = threads;
    this.oneRequestMethods = Set.copyOf(oneRequestMethods);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (oneRequestMethods.contains(call.getMethodDescriptor().getFullMethodName())) {
      // The handler will ask for it anyway (grpc-java's stubs ask for two at their start). Asked here, on the
      // transport's thread, the request and half-close are delivered as they arrive and queue behind the start on
      // the same virtual thread; asked from that thread, the request would wait for the transport's thread to take
      // the ask, and come on a second virtual thread.
      call.request(1);
    }
    // The call's Context is the same in each of its callbacks (the steps outside set it per call): attached once
    // per thread the call runs on, not per callback, since with tracing on each attach builds an OpenTelemetry
    // context too.
    Context context = Context.current();
    CallSequence sequence = new CallSequence(task -> threads.execute(context.wrap(task)));
    HoppingListener<ReqT> listener = new HoppingListener<>(sequence);
    listener.hop(() -> listener.started(start(call, headers, next)));
    return listener;
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> start(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    try {
      return next.startCall(call, headers);
    } catch (RuntimeException | Error e) {
      // What grpc-java does when a start throws; the error step inside makes this a bug below it.
      log.error("a call's start failed", e);
      try {
        call.close(Status.UNKNOWN.withDescription("Application error processing RPC"), new Metadata());
      } catch (IllegalStateException alreadyClosed) {
        // it ended before failing
      }
      return new ServerCall.Listener<>() {};
    }
  }

  /** Hands each callback to the call's sequence. */
  private static final class HoppingListener<ReqT> extends ServerCall.Listener<ReqT> {
    private final CallSequence sequence;
    private ServerCall.Listener<ReqT> delegate; // set by the first task of the sequence, read by the later ones

    HoppingListener(CallSequence sequence) {
      this.sequence = sequence;
    }

    void hop(Runnable task) {
      sequence.execute(task);
    }

    void started(ServerCall.Listener<ReqT> delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onMessage(ReqT message) {
      hop(() -> delegate.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      hop(() -> delegate.onHalfClose());
    }

    @Override
    public void onCancel() {
      hop(() -> delegate.onCancel());
    }

    @Override
    public void onComplete() {
      sequence.executeHereIfIdle(() -> delegate.onComplete()); // here, the call's Context is current already
    }

    @Override
    public void onReady() {
      hop(() -> delegate.onReady());
    }
  }
}
