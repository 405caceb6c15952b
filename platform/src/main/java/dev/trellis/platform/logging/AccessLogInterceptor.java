package dev.trellis.platform.logging;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static net.logstash.logback.argument.StructuredArguments.raw;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.context.CallRecord;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON access-log line when a call ends, on the {@code trellis.access} logger: method, status,
 * duration_ms, peer, principal, request_id, trace_id and span_id, read from the call's record
 * ({@link CallContext#record()}). It only reads. A call its client left is logged as the client saw it, whatever
 * the handler answered afterwards: DEADLINE_EXCEEDED once its deadline passed, CANCELLED when the client cancelled.
 */
public final class AccessLogInterceptor implements ServerInterceptor {
  private static final Logger accessLog = LoggerFactory.getLogger("trellis.access");

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    LoggingCall<ReqT, RespT> logging = new LoggingCall<>(call, CallContext.record().orElse(null), System.nanoTime(),
        Context.current().getDeadline());
    return new SimpleForwardingServerCallListener<>(next.startCall(logging, headers)) {
      @Override
      public void onCancel() {
        logging.logOnce(logging.left());
        super.onCancel();
      }
    };
  }

  /** Writes the access-log line when the call closes. */
  static final class LoggingCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    private final CallRecord record;
    private final long startNanos;
    private final Deadline deadline;
    private final AtomicBoolean logged = new AtomicBoolean();

    LoggingCall(ServerCall<ReqT, RespT> delegate, CallRecord record, long startNanos, Deadline deadline) {
      super(delegate);
      this.record = record;
      this.startNanos = startNanos;
      this.deadline = deadline;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      try {
        super.close(status, trailers);
      } finally {
        // An answer after the client left reached nobody (gRPC delivers onCancel after the handler returns).
        logOnce(isCancelled() ? left() : status);
      }
    }

    /** Why the client is gone: its deadline passed, or it cancelled. */
    Status left() {
      return deadline != null && deadline.isExpired() ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
    }

    void logOnce(Status status) {
      if (!logged.compareAndSet(false, true) || !accessLog.isInfoEnabled()) {
        return;
      }
      Principal principal = record == null ? null : record.principal();
      accessLog.info("rpc",
          kv("method", getMethodDescriptor().getFullMethodName()),
          kv("status", status.getCode().name()),
          raw("duration_ms", milliseconds((System.nanoTime() - startNanos) / 1_000)),
          kv("peer", peer(getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))),
          kv("principal", principal == null ? null : principal.subject()),
          kv("request_id", record == null ? null : record.requestId()),
          kv("trace_id", record == null ? null : record.traceId()),
          kv("span_id", record == null ? null : record.spanId()));
    }

    /**
     * Microseconds as a JSON number of milliseconds with three decimals ({@code 1.234}). Written by hand because
     * formatting a double was the single most expensive step of the whole log line.
     */
    static String milliseconds(long micros) {
      long fraction = micros % 1_000;
      String digits = fraction < 10 ? "00" : fraction < 100 ? "0" : "";
      return (micros / 1_000) + "." + digits + fraction;
    }

    private static String peer(SocketAddress address) {
      if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
        return inet.getAddress().getHostAddress() + ":" + inet.getPort();
      }
      return address == null ? null : address.toString();
    }
  }
}
