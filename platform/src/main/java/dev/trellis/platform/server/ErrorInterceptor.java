package dev.trellis.platform.server;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.context.CallRecord;
import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.StatusMapper;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The innermost interceptor: whatever a handler throws or closes its call with reaches the client as a deliberate
 * status. An {@link ApiException} becomes its {@link StatusMapper} status with google.rpc details; a status the
 * handler built passes through; anything else (a bug, a driver exception, what grpc-java makes of
 * {@code responseObserver.onError(someRuntimeException)}) becomes a generic INTERNAL, and its cause is logged under
 * the request and trace ids. No SQL, class name or stack trace ever reaches a client.
 *
 * <p>Every status leaving here is bounded ({@link StatusMapper#bound(Status, Metadata)}): a handler that builds a
 * huge description or detail list of its own cannot make the trailers outgrow what clients accept.
 *
 * <p>Like grpc-java's TransmitStatusRuntimeExceptionInterceptor it catches what escapes the listener callbacks, so
 * the call ends with a status instead of a stream reset.
 */
final class ErrorInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ErrorInterceptor.class);

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    MappingCall<ReqT, RespT> mapping = new MappingCall<>(call, CallContext.record().orElse(null));
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(mapping, headers);
    } catch (RuntimeException | Error e) {
      mapping.fail(e);
      return new ServerCall.Listener<>() {};
    }
    return new GuardedListener<>(listener, mapping);
  }

  /** Rewrites the status a call closes with, so that only deliberate statuses leave the server. */
  private static final class MappingCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    private final CallRecord record;
    private volatile boolean closed;

    MappingCall(ServerCall<ReqT, RespT> delegate, CallRecord record) {
      super(delegate);
      this.record = record;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      closed = true;
      Throwable cause = status.getCause();
      if (cause instanceof ApiException api) {
        closeWith(StatusMapper.toStatusException(api), trailers);
      } else if (cause != null && isFailureCode(status) && !isStatusException(cause)) {
        // A status made from an exception (onError(e), Status.INTERNAL.withCause(e)): its description may hold
        // the exception's message, so the client gets the generic INTERNAL and the log gets the cause.
        logUnexpected(cause);
        closeWith(StatusMapper.internal(requestId()), trailers);
      } else {
        super.close(status.isOk() ? status : StatusMapper.bound(status, trailers), trailers);
      }
    }

    /** Ends the call for an exception thrown by the handler. */
    void fail(Throwable t) {
      if (closed) {
        log.error("handler failed after its call was closed on {}", getMethodDescriptor().getFullMethodName(), t);
        return;
      }
      Metadata trailers = Status.trailersFromThrowable(t);
      close(Status.fromThrowable(t), trailers == null ? new Metadata() : trailers);
    }

    private void closeWith(StatusRuntimeException status, Metadata trailers) {
      trailers.merge(status.getTrailers());
      super.close(status.getStatus(), trailers);
    }

    private void logUnexpected(Throwable cause) {
      log.error("unexpected failure in {}",
          getMethodDescriptor().getFullMethodName(),
          kv("request_id", requestId()),
          kv("trace_id", record == null ? null : record.traceId()),
          cause);
    }

    private String requestId() {
      return record == null ? "unknown" : record.requestId();
    }

    private static boolean isFailureCode(Status status) {
      return status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL;
    }

    private static boolean isStatusException(Throwable t) {
      return t instanceof StatusRuntimeException || t instanceof StatusException;
    }
  }

  /** Turns an exception escaping a listener callback into a closed call. */
  private static final class GuardedListener<ReqT> extends SimpleForwardingServerCallListener<ReqT> {
    private final MappingCall<ReqT, ?> call;

    GuardedListener(ServerCall.Listener<ReqT> delegate, MappingCall<ReqT, ?> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(ReqT message) {
      guarded(() -> super.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      guarded(super::onHalfClose);
    }

    @Override
    public void onReady() {
      guarded(super::onReady);
    }

    @Override
    public void onCancel() {
      guarded(super::onCancel);
    }

    @Override
    public void onComplete() {
      guarded(super::onComplete);
    }

    private void guarded(Runnable callback) {
      try {
        callback.run();
      } catch (RuntimeException | Error e) {
        call.fail(e);
      }
    }
  }
}
