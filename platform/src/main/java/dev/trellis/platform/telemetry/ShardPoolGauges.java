package dev.trellis.platform.telemetry;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.ShardPoolMetrics;
import dev.trellis.platform.data.ShardPoolSnapshot;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Exports every shard's connection pool as OpenTelemetry metrics, named after the semantic conventions for
 * database client connection pools ({@code db.client.connection.*}, attribute {@code db.client.connection.pool.name}
 * = the shard). The pools are read when a metric reader collects, never on a request path; with telemetry off the
 * OpenTelemetry API is a no-op and so is this.
 */
public final class ShardPoolGauges implements AutoCloseable {
  static final AttributeKey<String> POOL = AttributeKey.stringKey("db.client.connection.pool.name");
  static final AttributeKey<String> STATE = AttributeKey.stringKey("db.client.connection.state");

  private final List<AutoCloseable> instruments;

  private ShardPoolGauges(List<AutoCloseable> instruments) {
    this.instruments = instruments;
  }

  /** Registers the gauges; close the result to unregister them (when the pools close). */
  public static ShardPoolGauges register(OpenTelemetry openTelemetry, ShardPoolMetrics pools) {
    requireNonNull(openTelemetry, "openTelemetry");
    requireNonNull(pools, "pools");
    Meter meter = openTelemetry.getMeter("dev.trellis.platform.data");
    return new ShardPoolGauges(List.of(
        meter.upDownCounterBuilder("db.client.connection.count")
            .setDescription("Connections of the shard's pool, by state").setUnit("{connection}")
            .buildWithCallback(m -> each(pools, (s, attrs) -> {
              m.record(s.idle(), attrs.toBuilder().put(STATE, "idle").build());
              m.record(s.active(), attrs.toBuilder().put(STATE, "used").build());
            })),
        meter.upDownCounterBuilder("db.client.connection.max")
            .setDescription("The most connections the shard's pool opens").setUnit("{connection}")
            .buildWithCallback(m -> each(pools, (s, attrs) -> m.record(s.max(), attrs))),
        meter.upDownCounterBuilder("db.client.connection.pending_requests")
            .setDescription("Callers waiting for a connection of the shard's pool").setUnit("{request}")
            .buildWithCallback(m -> each(pools, (s, attrs) -> m.record(s.pending(), attrs))),
        meter.counterBuilder("db.client.connection.timeouts")
            .setDescription("Callers that gave up waiting for a connection (each became UNAVAILABLE)")
            .setUnit("{timeout}")
            .buildWithCallback(m -> each(pools, (s, attrs) -> m.record(s.connectionTimeouts(), attrs))),
        meter.counterBuilder("db.client.connection.acquired")
            .setDescription("Connections lent out by the shard's pool").setUnit("{connection}")
            .buildWithCallback(m -> each(pools, (s, attrs) -> m.record(s.acquired(), attrs))),
        meter.counterBuilder("db.client.connection.wait_time.total").ofDoubles()
            .setDescription("Time callers spent waiting for connections, summed").setUnit("s")
            .buildWithCallback(m -> each(pools,
                (s, attrs) -> m.record(s.acquireTime().toNanos() / 1e9, attrs)))));
  }

  private static void each(ShardPoolMetrics pools, BiConsumer<ShardPoolSnapshot, Attributes> record) {
    for (ShardPoolSnapshot snapshot : pools.poolSnapshots()) {
      record.accept(snapshot, Attributes.of(POOL, snapshot.shard()));
    }
  }

  @Override
  public void close() {
    for (AutoCloseable instrument : instruments) {
      try {
        instrument.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot unregister a pool gauge", e);
      }
    }
  }
}
