package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The stand-in collector gets what OpenTelemetry's real OTLP/gRPC exporter sends: a keeping receiver holds every
 * span, a counting one (the bench's, for long traced runs) counts them all and holds none.
 */
class OtlpReceiverIT {
  @Test
  void aKeepingReceiverHoldsEverySpanItIsSent() throws IOException {
    try (OtlpReceiver receiver = new OtlpReceiver()) {
      export(receiver, "a", "b", "c");

      assertThat(receiver.spans()).extracting(s -> s.getName()).containsExactlyInAnyOrder("a", "b", "c");
      assertThat(receiver.spanCount()).isEqualTo(3);
    }
  }

  @Test
  void aCountingReceiverCountsEverySpanAndHoldsNone() throws IOException {
    try (OtlpReceiver receiver = OtlpReceiver.counting()) {
      export(receiver, "a", "b", "c");
      export(receiver, "d");

      assertThat(receiver.spanCount()).isEqualTo(4);
      assertThat(receiver.spans()).isEmpty();
    }
  }

  @Test
  void aCountingReceiverCountsTheSpansOfEveryScopeInABatch() throws IOException {
    try (OtlpReceiver receiver = OtlpReceiver.counting()) {
      OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(receiver.endpoint()).build();
      try (SdkTracerProvider provider = SdkTracerProvider.builder()
          .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofHours(1)).build())
          .build()) {
        for (int i = 0; i < 300; i++) {
          provider.get(i % 3 == 0 ? "server" : "client").spanBuilder("call " + i).startSpan().end();
        }
        // One export of two scopes' spans.
        assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
      }

      assertThat(receiver.spanCount()).isEqualTo(300);
    }
  }

  /** Ends one span per name and waits until the exporter has had each export answered. */
  private static void export(OtlpReceiver receiver, String... names) {
    OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(receiver.endpoint()).build();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
      Tracer tracer = provider.get("otlp-receiver-it");
      for (String name : names) {
        tracer.spanBuilder(name).startSpan().end();
      }
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
  }
}
