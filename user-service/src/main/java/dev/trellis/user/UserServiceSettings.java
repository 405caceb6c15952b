package dev.trellis.user;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * user-service's own settings (the platform reads server, auth, limits and shards).
 *
 * @param updatesPollInterval how often each shard's outbox is read while someone subscribes: the most latency a
 *     subscriber sees
 * @param subscriberBuffer how many updates may wait for a slow subscriber before its stream ends with
 *     RESOURCE_EXHAUSTED
 * @param eventRetention how long outbox rows are kept; subscribers only ever read recent ones
 */
public record UserServiceSettings(Duration updatesPollInterval, int subscriberBuffer, Duration eventRetention) {
  public static final String UPDATES_POLL_INTERVAL = "TRELLIS_USER_UPDATES_POLL_INTERVAL";
  public static final String SUBSCRIBER_BUFFER = "TRELLIS_USER_SUBSCRIBER_BUFFER";
  public static final String EVENT_RETENTION = "TRELLIS_USER_EVENT_RETENTION";

  /** Defaults: 100ms, 1000 updates, 24h. */
  public static UserServiceSettings fromSettings(Settings settings) {
    Duration poll = settings.duration(UPDATES_POLL_INTERVAL, Duration.ofMillis(100));
    if (poll.isZero()) {
      throw new ConfigException(UPDATES_POLL_INTERVAL + " must be more than 0");
    }
    Duration retention = settings.duration(EVENT_RETENTION, Duration.ofHours(24));
    if (retention.compareTo(Duration.ofMinutes(1)) < 0) {
      // Shorter could purge updates before the feed has read them.
      throw new ConfigException(EVENT_RETENTION + " must be at least 1m, got " + retention);
    }
    return new UserServiceSettings(poll, settings.integer(SUBSCRIBER_BUFFER, 1000, 1, 1_000_000), retention);
  }
}
