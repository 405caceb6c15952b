package dev.trellis.bench;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.metrics.ConfigurableMetricExporterProvider;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/**
 * Exporters named {@code discard} ({@code otel.traces.exporter=discard}, {@code otel.metrics.exporter=discard}):
 * with tracing on, the SDK samples, records and batches every span and metric as it would for a collector, and only
 * the network send is left out, so the benchmark measures the in-process cost and not a collector sharing the
 * machine. (The SDK treats the {@code none} exporter as "tracing off" and records nothing at all.)
 */
public final class DiscardExporters {
  private DiscardExporters() {}

  /** The span exporter provider, found by autoconfigure through META-INF/services. */
  public static final class Spans implements ConfigurableSpanExporterProvider {
    @Override
    public SpanExporter createExporter(ConfigProperties config) {
      return new SpanExporter() {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
          return CompletableResultCode.ofSuccess();
        }
      };
    }

    @Override
    public String getName() {
      return "discard";
    }
  }

  /** The metric exporter provider, found by autoconfigure through META-INF/services. */
  public static final class Metrics implements ConfigurableMetricExporterProvider {
    @Override
    public MetricExporter createExporter(ConfigProperties config) {
      return new MetricExporter() {
        @Override
        public CompletableResultCode export(Collection<MetricData> metrics) {
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
          return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
          return Aggregation.defaultAggregation();
        }

        @Override
        public MemoryMode getMemoryMode() {
          return MemoryMode.REUSABLE_DATA;
        }
      };
    }

    @Override
    public String getName() {
      return "discard";
    }
  }
}
