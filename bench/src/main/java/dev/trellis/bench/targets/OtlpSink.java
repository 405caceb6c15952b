package dev.trellis.bench.targets;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real OTLP/gRPC receiver on loopback for a target with tracing on: the exporter serializes and sends every batch
 * over gRPC as it would to a collector, and the sink parses each request and counts its spans, so the report can say
 * how many spans arrived against how many calls were made (dropped spans would flatter tracing). It runs in the
 * bench's JVM, which idles while an external engine drives the load.
 */
public final class OtlpSink implements AutoCloseable {
  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong metricBatches = new AtomicLong();
  private final Server server;

  public OtlpSink() throws IOException {
    // io.opentelemetry.proto ships the messages without gRPC stubs: the two Export methods are declared here.
    MethodDescriptor<ExportTraceServiceRequest, ExportTraceServiceResponse> traces =
        MethodDescriptor.<ExportTraceServiceRequest, ExportTraceServiceResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("opentelemetry.proto.collector.trace.v1.TraceService/Export")
            .setRequestMarshaller(ProtoUtils.marshaller(ExportTraceServiceRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance()))
            .build();
    MethodDescriptor<ExportMetricsServiceRequest, ExportMetricsServiceResponse> metrics =
        MethodDescriptor.<ExportMetricsServiceRequest, ExportMetricsServiceResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
            .setRequestMarshaller(ProtoUtils.marshaller(ExportMetricsServiceRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(ExportMetricsServiceResponse.getDefaultInstance()))
            .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .maxInboundMessageSize(64 << 20)
        .addService(ServerServiceDefinition.builder("opentelemetry.proto.collector.trace.v1.TraceService")
            .addMethod(traces, ServerCalls.asyncUnaryCall((request, response) -> {
              long n = 0;
              for (var resource : request.getResourceSpansList()) {
                for (var scope : resource.getScopeSpansList()) {
                  n += scope.getSpansCount();
                }
              }
              spans.addAndGet(n);
              response.onNext(ExportTraceServiceResponse.getDefaultInstance());
              response.onCompleted();
            }))
            .build())
        .addService(ServerServiceDefinition.builder("opentelemetry.proto.collector.metrics.v1.MetricsService")
            .addMethod(metrics, ServerCalls.asyncUnaryCall((request, response) -> {
              metricBatches.incrementAndGet();
              response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
              response.onCompleted();
            }))
            .build())
        .build()
        .start();
  }

  /** The endpoint for {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** Spans received so far. */
  public long spans() {
    return spans.get();
  }

  public long metricBatches() {
    return metricBatches.get();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
