package dev.trellis.edge.http;

import static java.util.Objects.requireNonNull;
import static net.logstash.logback.argument.StructuredArguments.kv;
import static net.logstash.logback.argument.StructuredArguments.raw;

import dev.trellis.edge.route.Deprecations;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.platform.telemetry.Telemetry;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.math.BigDecimal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's share of the platform's conventions: one JSON access-log line per request on {@code trellis.access}
 * (with request id and trace id), an OpenTelemetry server span per request whose context the upstream call
 * carries (so the edge's span is the root of the service's), and the counter of calls to deprecated API.
 */
public final class EdgeObservability {
  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<String> DEPRECATED_ELEMENT = AttributeKey.stringKey("trellis.deprecated.element");
  /** The counter of calls that use deprecated RPCs or fields. */
  public static final String DEPRECATED_CALLS = "trellis.edge.deprecated.calls";

  private static final Logger accessLog = LoggerFactory.getLogger("trellis.access");
  private static final TextMapGetter<HttpHeaders> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HttpHeaders carrier) {
      return carrier.names();
    }

    @Override
    public String get(HttpHeaders carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private final boolean tracing;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final LongCounter deprecatedCalls;

  public EdgeObservability(Telemetry telemetry) {
    requireNonNull(telemetry, "telemetry");
    this.tracing = telemetry.enabled();
    this.tracer = telemetry.openTelemetry().getTracer("dev.trellis.edge");
    this.propagator = telemetry.openTelemetry().getPropagators().getTextMapPropagator();
    this.deprecatedCalls = telemetry.openTelemetry().getMeter("dev.trellis.edge")
        .counterBuilder(DEPRECATED_CALLS)
        .setDescription("Calls through the edge to RPCs or with request fields marked deprecated in the contracts")
        .setUnit("{call}")
        .build();
  }

  /** Whether the edge traces; when not, it passes the caller's traceparent through untouched. */
  boolean tracing() {
    return tracing;
  }

  /** A new request id, or the caller's when it is a sane one (the services' own rule). */
  static String requestId(HttpHeaders headers) {
    return RequestIds.reuseOrCreate(headers.get(RequestIds.HEADER.name()));
  }

  /** Starts the server span of a request, the caller's trace context as its parent; a no-op when not tracing. */
  Context startSpan(String method, String path, HttpHeaders headers) {
    if (!tracing) {
      return Context.root();
    }
    Context parent = propagator.extract(Context.root(), headers, HEADERS);
    Span span = tracer.spanBuilder(method).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute(HTTP_METHOD, method).setAttribute(URL_PATH, path).startSpan();
    return parent.with(span);
  }

  /** Names the span after the route it matched ({@code GET /v1/users/{id}}), as HTTP semantic conventions say. */
  void routed(Context context, String method, String route, String rpc) {
    if (tracing) {
      Span span = Span.fromContext(context);
      span.updateName(method + " " + route);
      span.setAttribute(HTTP_ROUTE, route);
      if (rpc != null) {
        span.setAttribute(RPC_METHOD, rpc);
      }
    }
  }

  void endSpan(Context context, int httpStatus) {
    if (tracing) {
      Span span = Span.fromContext(context);
      span.setAttribute(HTTP_STATUS, (long) httpStatus);
      if (httpStatus >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
    }
  }

  void deprecated(String rpc, Deprecations.Notice notice) {
    deprecatedCalls.add(1, Attributes.of(RPC_METHOD, rpc, DEPRECATED_ELEMENT, notice.element()));
  }

  /** The access-log line of a request that has ended. */
  void log(RequestRecord record, int httpStatus, String grpcStatus) {
    if (!accessLog.isInfoEnabled()) {
      return;
    }
    var span = Span.fromContext(record.trace()).getSpanContext();
    accessLog.info("http",
        kv("method", record.method()),
        kv("path", record.path()),
        kv("route", record.route()),
        kv("rpc", record.rpc()),
        kv("status", httpStatus),
        kv("grpc_status", grpcStatus),
        raw("duration_ms", BigDecimal.valueOf((System.nanoTime() - record.startNanos()) / 1_000, 3).toPlainString()),
        kv("peer", record.peer()),
        kv("protocol", record.protocol()),
        kv("request_id", record.requestId()),
        kv("trace_id", span.isValid() ? span.getTraceId() : null),
        kv("span_id", span.isValid() ? span.getSpanId() : null));
  }
}
