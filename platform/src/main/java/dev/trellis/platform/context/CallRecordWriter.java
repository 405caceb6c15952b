package dev.trellis.platform.context;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one writer of call records: it opens a record for every call, records its trace ids and, once, its
 * principal. There is one per process and the server owns it ({@code dev.trellis.platform.server} claims it when
 * its first server is built, and the layering test allows no other caller of {@link #claim()}); it hands the
 * auth step {@link #authenticated} and nothing else. So no other code can open a record or replace the verified
 * principal of a call: everything else reads, through {@link CallContext}.
 */
public final class CallRecordWriter {
  private static final AtomicBoolean claimed = new AtomicBoolean();

  private final ServerStreamTracer.Factory opener = new ServerStreamTracer.Factory() {
    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
      CallRecord record = new CallRecord(RequestIds.reuseOrCreate(headers.get(RequestIds.HEADER)));
      return new ServerStreamTracer() {
        @Override
        public Context filterContext(Context context) {
          return context.withValue(CallContext.RECORD, record);
        }
      };
    }
  };
  private final ServerInterceptor requestIds = new RequestIdInterceptor();

  private CallRecordWriter() {}

  /**
   * The writer, to its one owner, the server.
   *
   * @throws IllegalStateException when it was claimed before: records have one owner
   */
  public static CallRecordWriter claim() {
    if (!claimed.compareAndSet(false, true)) {
      throw new IllegalStateException("call records have one writer, and the server holds it");
    }
    return new CallRecordWriter();
  }

  /**
   * Opens each call's record in the call's own Context, before any interceptor runs (a stream tracer may add to
   * that Context), so that the chain attaches no Context of its own on every callback of every call: with
   * OpenTelemetry's gRPC context bridge on the classpath each attach is costly. Install it with
   * {@code ServerBuilder.addStreamTracerFactory}.
   */
  public ServerStreamTracer.Factory opener() {
    return opener;
  }

  /**
   * The request-id step, right inside tracing: echoes the call's request id in the response headers (in the
   * trailers of a trailers-only response) and records the trace and span id of the server span.
   */
  public ServerInterceptor requestIds() {
    return requestIds;
  }

  /** Gives the call being served its server's {@link CallControl}: what the calls-in-flight step does. */
  public void control(CallControl control) {
    requireNonNull(control, "control");
    CallRecord record = CallContext.RECORD.get();
    if (record != null) {
      record.control(control);
    }
  }

  /**
   * Sets the principal of the call being served: what the auth step does with the caller it verified.
   *
   * @throws IllegalStateException when the call already has one (it is set once) or has no record
   */
  public void authenticated(Principal principal) {
    requireNonNull(principal, "principal");
    CallRecord record = CallContext.RECORD.get();
    if (record == null) {
      throw new IllegalStateException("no call record: only a server with the record opener authenticates calls");
    }
    record.authenticated(principal);
  }
}
