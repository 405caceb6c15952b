package dev.trellis.platform.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.data.ShardedDatabase;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.sql.Connection;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The pools of 4 real shards, read through OpenTelemetry as an exporter would. */
class ShardPoolGaugesIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  @Test
  void everyShardsPoolIsExportedByState() throws Exception {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build()).build();
        ShardedDatabase db = ShardedDatabase.builder(shards.newDatabase("gauges")).kind("test")
            .pool(ShardsExtension.SMALL_POOLS).build();
        ShardPoolGauges gauges = ShardPoolGauges.register(sdk, db);
        Connection held = db.shard(2).dataSource().getConnection()) {
      Collection<MetricData> metrics = reader.collectAllMetrics();

      assertThat(values(metrics, "db.client.connection.max", null))
          .containsExactlyInAnyOrderEntriesOf(Map.of("shard-0", 4L, "shard-1", 4L, "shard-2", 4L, "shard-3", 4L));
      assertThat(values(metrics, "db.client.connection.count", "used")).containsEntry("shard-2", 1L)
          .containsEntry("shard-0", 0L);
      assertThat(values(metrics, "db.client.connection.acquired", null).get("shard-2")).isPositive();
      assertThat(values(metrics, "db.client.connection.timeouts", null)).containsEntry("shard-2", 0L);
    }
  }

  /** The points of a long metric by pool name, optionally only those of one connection state. */
  private static Map<String, Long> values(Collection<MetricData> metrics, String name, String state) {
    MetricData metric = metrics.stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    List<LongPointData> points = metric.getData().getPoints().stream().map(p -> (LongPointData) p).toList();
    return points.stream()
        .filter(p -> state == null || state.equals(p.getAttributes().get(ShardPoolGauges.STATE)))
        .collect(Collectors.toMap(p -> p.getAttributes().get(ShardPoolGauges.POOL), LongPointData::getValue));
  }
}
