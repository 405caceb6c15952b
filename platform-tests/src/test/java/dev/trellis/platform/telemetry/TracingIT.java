package dev.trellis.platform.telemetry;

import static io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR;
import static io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_UNSET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.trellis.platform.CallKind;
import dev.trellis.testing.LogCapture;
import dev.trellis.platform.RelayService;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.client.ServiceChannels;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.OtlpReceiver;
import dev.trellis.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Traces over the real OTLP/gRPC exporter into a stand-in collector: test client, front service, back service, each
 * hop a client span and a server span in one trace, each span the parent of the next; and so for every call kind,
 * streaming ones included, each server span ending with the status of its call.
 */
class TracingIT {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final OtlpReceiver collector = new OtlpReceiver();
  private final Telemetry telemetry = Telemetry.configure("tracing-it", Map.of(
      "otel.sdk.disabled", "false",
      "otel.exporter.otlp.protocol", "grpc",
      "otel.exporter.otlp.endpoint", collector.endpoint(),
      "otel.bsp.schedule.delay", "50",
      "otel.metric.export.interval", "200"));
  private final MutableClock clock = MutableClock.startingNow();
  private final TestTokens tokens = TestTokens.create(clock);

  TracingIT() throws IOException {}

  @AfterEach
  void stop() {
    telemetry.close();
    collector.close();
  }

  @Test
  void clientAndServerSpansOfEveryHopShareTheTraceWithTheRightParents() throws IOException {
    ServiceChannels channels = new ServiceChannels(telemetry, Optional.of(TestTokens.bearer(tokens.service("front"))));
    String back = start(new ScriptedService());
    String front = start(new RelayService(grpc.register(channels.openInProcess(back))));
    ManagedChannel toFront = grpc.register(channels.openInProcess(front));

    try (LogCapture accessLog = LogCapture.of("trellis.access")) {
      SimpleServiceGrpc.newBlockingStub(toFront).unaryRpc(ScriptedService.request("traced"));

      await().atMost(10, TimeUnit.SECONDS).until(() -> collector.spans().size() >= 4);
      List<Span> spans = collector.spans();
      Span testClient = only(spans, Span.SpanKind.SPAN_KIND_CLIENT, ByteString.EMPTY);
      Span frontServer = only(spans, Span.SpanKind.SPAN_KIND_SERVER, testClient.getSpanId());
      Span frontClient = only(spans, Span.SpanKind.SPAN_KIND_CLIENT, frontServer.getSpanId());
      Span backServer = only(spans, Span.SpanKind.SPAN_KIND_SERVER, frontClient.getSpanId());

      assertThat(List.of(frontServer, frontClient, backServer))
          .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(testClient.getTraceId()));
      assertThat(frontServer.getName()).isEqualTo("grpc.testing.SimpleService/UnaryRpc");
      assertThat(backServer.getName()).isEqualTo("grpc.testing.SimpleService/UnaryRpc");

      // The access log carries the ids of the server span of its call.
      String traceId = HexFormat.of().formatHex(testClient.getTraceId().toByteArray());
      await().atMost(10, TimeUnit.SECONDS).until(() -> accessLog.lines().size() >= 2);
      assertThat(accessLog.lines()).anySatisfy(line -> {
        assertThat(line.get("trace_id").asText()).isEqualTo(traceId);
        assertThat(line.get("span_id").asText())
            .isEqualTo(HexFormat.of().formatHex(frontServer.getSpanId().toByteArray()));
      });
    }
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void everyCallKindHasItsServerSpanUnderItsClientSpan(CallKind kind) throws IOException {
    Span server = serverSpanOfACall(kind, "traced", Status.Code.OK);

    assertThat(server.getStatus().getCode()).isEqualTo(STATUS_CODE_UNSET);
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void aFailedCallOfEveryKindEndsItsServerSpanWithItsStatus(CallKind kind) throws IOException {
    Span server = serverSpanOfACall(kind, "throw-internal", Status.Code.INTERNAL);

    assertThat(server.getStatus().getCode()).isEqualTo(STATUS_CODE_ERROR);
  }

  @Test
  void serverCallDurationsAreExportedAsMetrics() throws IOException {
    ManagedChannel channel = userChannelToScriptedService();

    SimpleServiceGrpc.newBlockingStub(channel).unaryRpc(ScriptedService.request("measured"));

    await().atMost(Duration.ofSeconds(10)).until(() -> collector.metricNames().stream()
        .anyMatch(name -> name.startsWith("rpc.server.") && name.contains("duration")));
  }

  /** A traced channel, sending a user token, to a server of its own with the ScriptedService. */
  private ManagedChannel userChannelToScriptedService() throws IOException {
    ServiceChannels channels = new ServiceChannels(telemetry, Optional.of(TestTokens.bearer(tokens.user(1))));
    return grpc.register(channels.openInProcess(start(new ScriptedService())));
  }

  /**
   * Makes a call of {@code kind}, which must end with {@code code}, and returns its server span, after checking that
   * it is the child of the one client span, in its trace, named for the method, and that both spans recorded
   * {@code code}.
   */
  private Span serverSpanOfACall(CallKind kind, String command, Status.Code code) throws IOException {
    assertThat(kind.call(userChannelToScriptedService(), null, command).status().getCode()).isEqualTo(code);

    await("a client span and a server span").atMost(10, TimeUnit.SECONDS)
        .until(() -> collector.spans().size() >= 2);
    List<Span> spans = collector.spans();
    Span client = only(spans, Span.SpanKind.SPAN_KIND_CLIENT, ByteString.EMPTY);
    Span server = only(spans, Span.SpanKind.SPAN_KIND_SERVER, client.getSpanId());
    assertThat(server.getTraceId()).isEqualTo(client.getTraceId());
    assertThat(server.getName()).isEqualTo(kind.method().getFullMethodName());
    assertThat(statusCode(client)).as("status code of the client span").isEqualTo(code.value());
    assertThat(statusCode(server)).as("status code of the server span").isEqualTo(code.value());
    return server;
  }

  /** The gRPC status code a span recorded when its call ended. */
  private static long statusCode(Span span) {
    return span.getAttributesList().stream()
        .filter(attribute -> attribute.getKey().equals("rpc.grpc.status_code"))
        .mapToLong(attribute -> attribute.getValue().getIntValue())
        .findFirst()
        .orElseThrow(() -> new AssertionError("no rpc.grpc.status_code in " + span));
  }

  private String start(io.grpc.BindableService service) throws IOException {
    String name = grpc.uniqueName();
    grpc.register(TrellisServer.builder(ServerConfig.defaults())
        .inProcess(name)
        .telemetry(telemetry)
        .auth(tokens.authConfig())
        .clock(clock)
        .addUndeclaredService(service)
        .build()
        .start());
    return name;
  }

  private static Span only(List<Span> spans, Span.SpanKind kind, ByteString parent) {
    List<Span> matches = spans.stream()
        .filter(s -> s.getKind() == kind && s.getParentSpanId().equals(parent))
        .toList();
    assertThat(matches).as("%s spans with parent %s in %s", kind, parent, spans).hasSize(1);
    return matches.getFirst();
  }
}
