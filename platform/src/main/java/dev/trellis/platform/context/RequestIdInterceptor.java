package dev.trellis.platform.context;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/** See {@link CallRecordWriter#requestIds()}. */
final class RequestIdInterceptor implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    CallRecord record = CallContext.RECORD.get();
    // The tracing interceptor, further out, has made the server span current.
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      record.traced(span.getTraceId(), span.getSpanId());
    }
    String requestId = record.requestId();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      private volatile boolean headersSent;

      @Override
      public void sendHeaders(Metadata responseHeaders) {
        responseHeaders.put(RequestIds.HEADER, requestId);
        headersSent = true;
        super.sendHeaders(responseHeaders);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!headersSent) {
          trailers.put(RequestIds.HEADER, requestId);
        }
        super.close(status, trailers);
      }
    }, headers);
  }
}
