package dev.trellis.testing;

import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A stand-in OpenTelemetry collector: serves the OTLP/gRPC TraceService and MetricsService (the messages from
 * io.opentelemetry.proto; that artifact ships no stubs, so the two methods are declared here) on a loopback port,
 * and keeps what the real exporter sends.
 *
 * <p>For a whole class, register it first, so that it listens before the services that export to it start and
 * stops after they have flushed:
 * <pre>{@code
 * @RegisterExtension @Order(1) static final OtlpReceiver collector = OtlpReceiver.start();
 * @RegisterExtension @Order(2) static final ServiceExtension users =
 *     ServiceExtension.of("user-service").telemetry(() -> collector.telemetry("user-service"));
 * }</pre>
 *
 * <p>For a long run ({@code ./trellis bench} with tracing on: tens of thousands of spans a second for minutes),
 * {@link #counting()} keeps no span, only the count, so that the receiver's heap stays flat.
 */
public final class OtlpReceiver implements AutoCloseable, AfterAllCallback {
  private static final MethodDescriptor<ExportTraceServiceRequest, ExportTraceServiceResponse> EXPORT_TRACES =
      MethodDescriptor.<ExportTraceServiceRequest, ExportTraceServiceResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("opentelemetry.proto.collector.trace.v1.TraceService/Export")
          .setRequestMarshaller(ProtoUtils.marshaller(ExportTraceServiceRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance()))
          .build();
  private static final MethodDescriptor<ExportMetricsServiceRequest, ExportMetricsServiceResponse> EXPORT_METRICS =
      MethodDescriptor.<ExportMetricsServiceRequest, ExportMetricsServiceResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
          .setRequestMarshaller(ProtoUtils.marshaller(ExportMetricsServiceRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(ExportMetricsServiceResponse.getDefaultInstance()))
          .build();

  private final List<Span> spans = new CopyOnWriteArrayList<>();
  private final AtomicLong spanCount = new AtomicLong();
  private final List<String> metricNames = new CopyOnWriteArrayList<>();
  /** The last export of each metric, by service name and metric name ("user-service/db.client.connection.count"). */
  private final Map<String, Metric> latestMetrics = new ConcurrentHashMap<>();
  private final AtomicLong metricExports = new AtomicLong();
  private final Server server;

  /** A receiver that keeps every span and metric name it gets. */
  public OtlpReceiver() throws IOException {
    this(true);
  }

  private OtlpReceiver(boolean keep) throws IOException {
    ServerServiceDefinition.Builder traces = ServerServiceDefinition
        .builder("opentelemetry.proto.collector.trace.v1.TraceService");
    if (keep) {
      traces.addMethod(keepingTraces());
    } else {
      traces.addMethod(countingTraces());
    }
    ServerServiceDefinition metrics = ServerServiceDefinition
        .builder("opentelemetry.proto.collector.metrics.v1.MetricsService")
        .addMethod(EXPORT_METRICS, ServerCalls.asyncUnaryCall((request, response) -> {
          if (keep) {
            request.getResourceMetricsList().forEach(r -> {
              String service = serviceName(r.getResource());
              r.getScopeMetricsList().forEach(s -> s.getMetricsList().forEach(m -> {
                metricNames.add(m.getName());
                latestMetrics.put(service + "/" + m.getName(), m);
              }));
            });
          }
          metricExports.incrementAndGet();
          response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
          response.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
        .addService(traces.build())
        .addService(metrics)
        .build()
        .start();
  }

  private ServerMethodDefinition<ExportTraceServiceRequest, ExportTraceServiceResponse> keepingTraces() {
    return ServerMethodDefinition.create(EXPORT_TRACES, ServerCalls.asyncUnaryCall((request, response) -> {
      request.getResourceSpansList().forEach(r -> r.getScopeSpansList().forEach(s -> {
        spanCount.addAndGet(s.getSpansCount());
        spans.addAll(s.getSpansList());
      }));
      response.onNext(ExportTraceServiceResponse.getDefaultInstance());
      response.onCompleted();
    }));
  }

  /**
   * The same method, its requests read as {@link SpanCounter#count span counts} instead of messages: a traced bench
   * run sends tens of thousands of spans a second, and building each as a message cost this receiver about 1.6 us
   * of CPU per span, on the cores the measured server uses (some 6 % of the traced echo's machine).
   */
  private ServerMethodDefinition<Long, ExportTraceServiceResponse> countingTraces() {
    MethodDescriptor<Long, ExportTraceServiceResponse> method = EXPORT_TRACES.toBuilder(
        SpanCounter.MARSHALLER, EXPORT_TRACES.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(method, ServerCalls.asyncUnaryCall((count, response) -> {
      spanCount.addAndGet(count);
      response.onNext(ExportTraceServiceResponse.getDefaultInstance());
      response.onCompleted();
    }));
  }

  /** A receiver listening now, as a static extension field that {@link #afterAll closes} after the class. */
  public static OtlpReceiver start() {
    try {
      return new OtlpReceiver(true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Telemetry for {@code serviceName} that exports its spans and metrics here over OTLP/gRPC, soon after they end
   * (spans within 50 ms, metrics every 200 ms), so a test waits little for them.
   */
  public Telemetry telemetry(String serviceName) {
    return Telemetry.configure(serviceName, Map.of(
        "otel.sdk.disabled", "false",
        "otel.exporter.otlp.protocol", "grpc",
        "otel.exporter.otlp.endpoint", endpoint(),
        "otel.bsp.schedule.delay", "50",
        "otel.metric.export.interval", "200"));
  }

  /**
   * A receiver listening now that counts spans ({@link #spanCount()}) and keeps none: {@link #spans()} and
   * {@link #metricNames()} stay empty.
   */
  public static OtlpReceiver counting() throws IOException {
    return new OtlpReceiver(false);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** The spans received so far (none when {@link #counting()}). */
  public List<Span> spans() {
    return List.copyOf(spans);
  }

  /** How many spans have arrived so far, kept or not. */
  public long spanCount() {
    return spanCount.get();
  }

  public List<String> metricNames() {
    return List.copyOf(metricNames);
  }

  /** The last export of {@code metric} by {@code serviceName} (its service.name), if one came. */
  public Optional<Metric> latestMetric(String serviceName, String metric) {
    return Optional.ofNullable(latestMetrics.get(serviceName + "/" + metric));
  }

  /** How many metric exports have arrived so far: wait for it to grow to see values measured after a moment. */
  public long metricExports() {
    return metricExports.get();
  }

  private static String serviceName(Resource resource) {
    return resource.getAttributesList().stream().filter(a -> a.getKey().equals("service.name"))
        .map(a -> a.getValue().getStringValue()).findFirst().orElse("");
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }
}
