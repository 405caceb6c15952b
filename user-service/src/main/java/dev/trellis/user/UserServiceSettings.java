package dev.trellis.user;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.ratelimit.RateLimit;
import java.time.Duration;

/**
 * user-service's own settings (the platform reads server, auth, limits and shards).
 *
 * @param updatesPollInterval how often each shard's outbox is read while someone subscribes: the most latency a
 *     subscriber sees
 * @param subscriberBuffer how many updates may wait for a slow subscriber before its stream ends with
 *     RESOURCE_EXHAUSTED
 * @param eventRetention how long outbox rows are kept; subscribers only ever read recent ones
 * @param emailChangeLimit how often a user (not an admin) may try to change its own email: each try tells whether
 *     an email is registered, so it is limited per user
 */
public record UserServiceSettings(Duration updatesPollInterval, int subscriberBuffer, Duration eventRetention,
    RateLimit emailChangeLimit) {
  public static final String UPDATES_POLL_INTERVAL = "TRELLIS_USER_UPDATES_POLL_INTERVAL";
  public static final String SUBSCRIBER_BUFFER = "TRELLIS_USER_SUBSCRIBER_BUFFER";
  public static final String EVENT_RETENTION = "TRELLIS_USER_EVENT_RETENTION";
  public static final String EMAIL_CHANGE_LIMIT = "TRELLIS_USER_EMAIL_CHANGE_LIMIT";
  public static final String DEFAULT_EMAIL_CHANGE_LIMIT = "5/5 per 1h";

  public UserServiceSettings {
    Require.positive(UPDATES_POLL_INTERVAL, updatesPollInterval);
    Require.between(SUBSCRIBER_BUFFER, subscriberBuffer, 1, 1_000_000);
    // Shorter could purge updates before the feed has read them.
    Require.atLeast(EVENT_RETENTION, eventRetention, Duration.ofMinutes(1));
    requireNonNull(emailChangeLimit, "emailChangeLimit");
  }

  /** Defaults: 100ms, 1000 updates, 24h, 5 email changes per hour (burst 5). */
  public static UserServiceSettings fromSettings(Settings settings) {
    return new UserServiceSettings(
        settings.duration(UPDATES_POLL_INTERVAL, Duration.ofMillis(100)),
        settings.integer(SUBSCRIBER_BUFFER, 1000),
        settings.duration(EVENT_RETENTION, Duration.ofHours(24)),
        RateLimit.parse(EMAIL_CHANGE_LIMIT, settings.string(EMAIL_CHANGE_LIMIT, DEFAULT_EMAIL_CHANGE_LIMIT))
            .orElseThrow(() -> new ConfigException(EMAIL_CHANGE_LIMIT + " cannot be off: each email change tells"
                + " whether an email is registered")));
  }
}
