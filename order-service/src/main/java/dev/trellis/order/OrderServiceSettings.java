package dev.trellis.order;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.server.TrellisService;
import java.time.Duration;

/**
 * order-service's own settings (the platform reads server, auth, limits, clients and shards; {@link
 * dev.trellis.order.saga.SagaSettings} how sagas run; {@link dev.trellis.order.partner.SimulatorSettings} the
 * partner simulators).
 *
 * @param userServiceTarget where user-service is, as a gRPC target
 * @param eventsPollInterval how often each shard's order events are read while someone watches: the most latency a
 *     watcher sees
 * @param watcherBuffer how many changes may wait for a slow watcher before its stream ends with RESOURCE_EXHAUSTED
 * @param eventRetention how long order events are kept; watchers only ever read recent ones
 * @param idempotencyRetention how long idempotency keys are kept
 * @param demoData whether to seed the demo catalog where its SKUs are missing (the local mesh asks for it)
 */
public record OrderServiceSettings(String userServiceTarget, Duration eventsPollInterval, int watcherBuffer,
    Duration eventRetention, Duration idempotencyRetention, boolean demoData) {
  /** Where user-service listens: the platform's name for it ({@link TrellisService#targetVariable}). */
  public static final String USER_SERVICE = "TRELLIS_USER_SERVICE_TARGET";
  public static final String EVENTS_POLL_INTERVAL = "TRELLIS_ORDER_EVENTS_POLL_INTERVAL";
  public static final String WATCHER_BUFFER = "TRELLIS_ORDER_WATCHER_BUFFER";
  public static final String EVENT_RETENTION = "TRELLIS_ORDER_EVENT_RETENTION";
  public static final String IDEMPOTENCY_RETENTION = "TRELLIS_ORDER_IDEMPOTENCY_RETENTION";

  public OrderServiceSettings {
    requireNonNull(userServiceTarget, "userServiceTarget");
    requireNonNull(eventsPollInterval, "eventsPollInterval");
    requireNonNull(eventRetention, "eventRetention");
    requireNonNull(idempotencyRetention, "idempotencyRetention");
  }

  /** Defaults: dns:///user-service:50051 (its Service in the chart), 100ms, 1000 changes, 24h, 24h, no demo data. */
  public static OrderServiceSettings fromSettings(Settings settings) {
    Duration poll = settings.duration(EVENTS_POLL_INTERVAL, Duration.ofMillis(100));
    if (poll.isZero()) {
      throw new ConfigException(EVENTS_POLL_INTERVAL + " must be more than 0");
    }
    return new OrderServiceSettings(
        settings.string(USER_SERVICE, "dns:///user-service:50051"),
        poll,
        settings.integer(WATCHER_BUFFER, 1000, 1, 1_000_000),
        atLeastAMinute(settings, EVENT_RETENTION),
        atLeastAMinute(settings, IDEMPOTENCY_RETENTION),
        settings.bool(TrellisService.DEMO_DATA, false));
  }

  private static Duration atLeastAMinute(Settings settings, String name) {
    Duration value = settings.duration(name, Duration.ofHours(24));
    if (value.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new ConfigException(name + " must be at least 1m, got " + value);
    }
    return value;
  }
}
