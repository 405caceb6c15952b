package dev.trellis.platform.logging;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static net.logstash.logback.argument.StructuredArguments.raw;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.context.CallRecord;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every call a request id and writes one JSON access-log line when it ends. The id is the caller's
 * {@code x-request-id} when it is a sane one (so a request can be followed across services), a new one otherwise;
 * it is echoed in the response headers (in the trailers of a trailers-only response) and put in the Context, from
 * where outgoing calls forward it. The line carries method, status, duration_ms, peer, principal, request_id,
 * trace_id and span_id, on the {@code trellis.access} logger.
 */
public final class RequestLogInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> REQUEST_ID_HEADER =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  static final int MAX_REQUEST_ID_LENGTH = 128;

  private static final Logger accessLog = LoggerFactory.getLogger("trellis.access");

  /**
   * Opens each call's record in the call's own Context, before any interceptor runs (a grpc stream tracer may add
   * to that Context), so that the chain attaches no Context of its own on every callback of every call: with
   * OpenTelemetry's gRPC context bridge on the classpath each attach is costly. {@link
   * dev.trellis.platform.server.TrellisServer} installs it with {@code ServerBuilder.addStreamTracerFactory}.
   */
  public static final ServerStreamTracer.Factory RECORD_OPENER = new ServerStreamTracer.Factory() {
    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
      CallRecord record = new CallRecord(reuseOrCreate(headers.get(REQUEST_ID_HEADER)));
      return new ServerStreamTracer() {
        @Override
        public Context filterContext(Context context) {
          return context.withValue(CallContext.RECORD, record);
        }
      };
    }
  };

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    long startNanos = System.nanoTime();
    CallRecord opened = CallContext.RECORD.get();
    CallRecord record = opened != null ? opened : new CallRecord(reuseOrCreate(headers.get(REQUEST_ID_HEADER)));
    // The tracing interceptor, further out, has made the server span current.
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      record.traced(span.getTraceId(), span.getSpanId());
    }
    LoggingCall<ReqT, RespT> logging = new LoggingCall<>(call, record, startNanos);
    ServerCall.Listener<ReqT> listener = opened != null
        ? next.startCall(logging, headers)
        // Without RECORD_OPENER: the slower way, a Context attached around every callback.
        : Contexts.interceptCall(Context.current().withValue(CallContext.RECORD, record), logging, headers, next);
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        logging.logOnce(Status.CANCELLED);
        super.onCancel();
      }
    };
  }

  /**
   * The caller's request id when it is short and made of safe characters, else a new one. Public for the edge, which
   * gives every HTTP request an id by the same rule before it calls a service.
   */
  public static String reuseOrCreate(String incoming) {
    return incoming != null && isSafe(incoming) ? incoming : newRequestId();
  }

  private static boolean isSafe(String id) {
    if (id.isEmpty() || id.length() > MAX_REQUEST_ID_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == ':';
      if (!safe) {
        return false;
      }
    }
    return true;
  }

  /**
   * A version-4 UUID from ThreadLocalRandom: request ids must be unique, not unguessable, and
   * UUID.randomUUID() goes through one shared SecureRandom, a point of contention at high call rates.
   */
  private static String newRequestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  /** Echoes the request id and writes the access-log line when the call closes. */
  static final class LoggingCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    private final CallRecord record;
    private final long startNanos;
    private final AtomicBoolean logged = new AtomicBoolean();
    private volatile boolean headersSent;

    LoggingCall(ServerCall<ReqT, RespT> delegate, CallRecord record, long startNanos) {
      super(delegate);
      this.record = record;
      this.startNanos = startNanos;
    }

    @Override
    public void sendHeaders(Metadata headers) {
      headers.put(REQUEST_ID_HEADER, record.requestId());
      headersSent = true;
      super.sendHeaders(headers);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!headersSent) {
        trailers.put(REQUEST_ID_HEADER, record.requestId());
      }
      try {
        super.close(status, trailers);
      } finally {
        logOnce(status);
      }
    }

    void logOnce(Status status) {
      if (!logged.compareAndSet(false, true) || !accessLog.isInfoEnabled()) {
        return;
      }
      Principal principal = record.principal();
      accessLog.info("rpc",
          kv("method", getMethodDescriptor().getFullMethodName()),
          kv("status", status.getCode().name()),
          raw("duration_ms", milliseconds((System.nanoTime() - startNanos) / 1_000)),
          kv("peer", peer(getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))),
          kv("principal", principal == null ? null : principal.subject()),
          kv("request_id", record.requestId()),
          kv("trace_id", record.traceId()),
          kv("span_id", record.spanId()));
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
