package dev.trellis.platform.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TelemetryTest {
  @Test
  void offUnlessTheEnvironmentTurnsItOn() {
    // The documented switch: only OTEL_SDK_DISABLED=false turns it on.
    boolean switchedOn = "false".equalsIgnoreCase(System.getenv("OTEL_SDK_DISABLED"));

    try (Telemetry telemetry = Telemetry.fromEnvironment("telemetry-test")) {
      assertThat(telemetry.enabled()).isEqualTo(switchedOn);
    }
  }

  @Test
  void whenOffThereAreNoTracingInterceptors() {
    Telemetry telemetry = Telemetry.configure("telemetry-test", Map.of("otel.sdk.disabled", "true"));

    assertThat(telemetry.enabled()).isFalse();
    assertThat(telemetry.serverInterceptor()).isEmpty();
    assertThat(telemetry.clientInterceptor()).isEmpty();
  }

  @Test
  void oneVariableTurnsItOn() {
    try (Telemetry telemetry = Telemetry.configure("telemetry-test", Map.of("otel.sdk.disabled", "false",
        "otel.traces.exporter", "none", "otel.metrics.exporter", "none"))) {
      assertThat(telemetry.enabled()).isTrue();
      assertThat(telemetry.serverInterceptor()).isPresent();
      assertThat(telemetry.clientInterceptor()).isPresent();
    }
  }

  @Test
  void theSpanPipelineIsSizedForAServiceUnlessTheEnvironmentSaysOtherwise() {
    Map<String, String> on = Map.of("otel.sdk.disabled", "false", "otel.metrics.exporter", "none");
    try (Telemetry telemetry = Telemetry.configure("telemetry-test", on)) {
      // The SDK names its settings only in its description: batch size and memory mode show, the queue does not.
      assertThat(tracerProvider(telemetry)).contains("maxExportBatchSize=2048").contains("memoryMode=IMMUTABLE_DATA");
    }
    Map<String, String> overridden = new HashMap<>(on);
    overridden.put("otel.bsp.max.export.batch.size", "100");
    overridden.put("otel.java.exporter.memory_mode", "reusable_data");
    try (Telemetry telemetry = Telemetry.configure("telemetry-test", overridden)) {
      assertThat(tracerProvider(telemetry)).contains("maxExportBatchSize=100").contains("memoryMode=REUSABLE_DATA");
    }
    assertThat(Telemetry.SPAN_PIPELINE).containsEntry("otel.bsp.max.queue.size", "65536");
  }

  private static String tracerProvider(Telemetry telemetry) {
    return ((OpenTelemetrySdk) telemetry.openTelemetry()).getSdkTracerProvider().toString();
  }

  @Test
  void aWrongValueIsAConfigErrorNamingTheVariable() {
    assertThatThrownBy(() -> Telemetry.configure("telemetry-test", Map.of("otel.sdk.disabled", "false",
        "otel.traces.exporter", "none", "otel.metrics.exporter", "none", "otel.traces.sampler", "sometimes")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OpenTelemetry: ")
        .hasMessageContaining("OTEL_TRACES_SAMPLER")
        .hasMessageNotContaining("otel.traces.sampler");
  }

  @Test
  void onlyPropertyNamesBecomeVariableNamesNotValuesThatLookLikeThem() {
    assertThat(Telemetry.variableNames("Invalid value for property otel.exporter.otlp.endpoint="
        + "http://otel.monitoring.svc:4317/x"))
        .isEqualTo("Invalid value for property OTEL_EXPORTER_OTLP_ENDPOINT=http://otel.monitoring.svc:4317/x");
  }
}
