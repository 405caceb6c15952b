package dev.trellis.platform.telemetry;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.logging.BatchingConsoleAppender;
import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * OpenTelemetry for a process: the SDK configured from the standard {@code OTEL_*} variables (autoconfigure, OTLP
 * exporter, traces and RPC metrics such as the server duration histogram) and the gRPC interceptors of
 * opentelemetry-grpc-1.6, which read and write W3C {@code traceparent} in metadata.
 *
 * <p>Off by default, so that a laptop without a collector stays quiet and fast; {@code OTEL_SDK_DISABLED=false}
 * turns it on. When off there are no tracing interceptors at all, which keeps the hot path cheap.
 */
public final class Telemetry implements AutoCloseable {
  private static final Telemetry OFF = new Telemetry(null);
  /** A property name, not a value that merely contains "otel." (a host such as http://otel.monitoring.svc). */
  private static final Pattern OTEL_PROPERTY = Pattern.compile("(?<![\\w./:-])otel(\\.[a-z0-9-]+)+");

  /**
   * The span pipeline's defaults where the SDK's do not fit a service that answers tens of thousands of calls a
   * second (each {@code OTEL_*} variable still wins). The SDK's batch span processor queues 2,048 spans and drops
   * the rest: the traced echo at 35,000 calls/s on a busy 2-core machine exported 0.40 spans per call with it, 0.93
   * with 16,384 and 0.99 with 65,536 (some tens of MB at worst, held only while the exporter is behind); batches of
   * 2,048 need a quarter of the export requests. The OTLP exporter's reusable-data mode encodes each string byte by
   * byte on Java 23+ (it stops reading String's bytes through Unsafe there, and its VarHandle way needs
   * {@code --add-opens java.base/java.lang}); immutable-data mode lets {@code String.getBytes} do it: the exporter's
   * share of the traced echo's CPU fell from 11.6 % to 8.6 % (BENCHMARKS.md, issue 15).
   */
  static final Map<String, String> SPAN_PIPELINE = Map.of(
      "otel.bsp.max.queue.size", "65536",
      "otel.bsp.max.export.batch.size", "2048",
      "otel.java.exporter.memory_mode", "immutable_data");

  private final OpenTelemetrySdk sdk;
  private final ServerInterceptor serverInterceptor;
  private final ClientInterceptor clientInterceptor;

  private Telemetry(OpenTelemetrySdk sdk) {
    this.sdk = sdk;
    if (sdk == null) {
      this.serverInterceptor = null;
      this.clientInterceptor = null;
    } else {
      // Message events would add one span event per streamed message: costly and rarely read.
      GrpcTelemetry grpc = GrpcTelemetry.builder(sdk).setEmitMessageEvents(false).build();
      this.serverInterceptor = grpc.createServerInterceptor();
      this.clientInterceptor = grpc.createClientInterceptor();
      // Read when a metric reader collects; the SDK holds the instrument until it closes.
      sdk.getMeter("dev.trellis.platform.logging").counterBuilder("trellis.log.lines.dropped")
          .setDescription("Log lines dropped because the async log writer's buffer was full").setUnit("{line}")
          .buildWithCallback(m -> m.record(BatchingConsoleAppender.droppedLines()));
    }
  }

  /** Telemetry that records nothing. */
  public static Telemetry off() {
    return OFF;
  }

  /** Telemetry as the {@code OTEL_*} environment variables and {@code otel.*} system properties say. */
  public static Telemetry fromEnvironment(String serviceName) {
    return configure(serviceName, Map.of());
  }

  /**
   * Telemetry as the environment says, with {@code overrides} ({@code otel.*} property names) on top: tests and the
   * benchmark point the exporter at their own receiver this way.
   */
  public static Telemetry configure(String serviceName, Map<String, String> overrides) {
    requireNonNull(serviceName, "serviceName");
    requireNonNull(overrides, "overrides");
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.sdk.disabled", "true");
    defaults.put("otel.service.name", serviceName);
    defaults.put("otel.logs.exporter", "none"); // logs go to stdout as JSON lines
    defaults.putAll(SPAN_PIPELINE);
    AtomicBoolean enabled = new AtomicBoolean();
    AutoConfiguredOpenTelemetrySdk configured;
    try {
      configured = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> defaults)
          .addPropertiesCustomizer(config -> overrides)
          // Runs after the overrides: reads the switch as it finally stands.
          .addPropertiesCustomizer(config -> {
            enabled.set(!config.getBoolean("otel.sdk.disabled", false));
            return Map.of();
          })
          // The server closes the SDK after its last call, so the last spans are flushed, not lost to a race.
          .disableShutdownHook()
          .build();
    } catch (ConfigurationException e) {
      // A wrong OTEL_* value is a configuration error like any other: one line naming the variable.
      throw new ConfigException("OpenTelemetry: " + variableNames(e.getMessage()));
    }
    return enabled.get() ? new Telemetry(configured.getOpenTelemetrySdk()) : OFF;
  }

  /** Autoconfigure names settings as properties (otel.traces.sampler); operators set OTEL_TRACES_SAMPLER. */
  static String variableNames(String message) {
    return OTEL_PROPERTY.matcher(String.valueOf(message))
        .replaceAll(m -> m.group().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
  }

  public boolean enabled() {
    return sdk != null;
  }

  /** The OpenTelemetry API for handlers that add their own spans; a no-op when off. */
  public OpenTelemetry openTelemetry() {
    return sdk == null ? OpenTelemetry.noop() : sdk;
  }

  /** The server tracing interceptor, absent when telemetry is off. */
  public Optional<ServerInterceptor> serverInterceptor() {
    return Optional.ofNullable(serverInterceptor);
  }

  /** The client tracing interceptor (injects traceparent), absent when telemetry is off. */
  public Optional<ClientInterceptor> clientInterceptor() {
    return Optional.ofNullable(clientInterceptor);
  }

  /** Flushes and stops the exporters. */
  @Override
  public void close() {
    if (sdk != null) {
      sdk.close();
    }
  }
}
