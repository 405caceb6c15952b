package dev.trellis.user.store;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * @param reservationGrace how old an unconfirmed email reservation must be before another create may take it
 *     over: longer than any create can take, so that a live create is never robbed
 */
public record UserStoreSettings(Duration reservationGrace) {
  public static final String RESERVATION_GRACE = "TRELLIS_EMAIL_RESERVATION_GRACE";

  public UserStoreSettings {
    requireNonNull(reservationGrace, "reservationGrace");
  }

  public static UserStoreSettings defaults() {
    return new UserStoreSettings(Duration.ofSeconds(30));
  }

  /** {@code TRELLIS_EMAIL_RESERVATION_GRACE}, default 30s. */
  public static UserStoreSettings fromSettings(Settings settings) {
    Duration grace = settings.duration(RESERVATION_GRACE, defaults().reservationGrace());
    if (grace.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(RESERVATION_GRACE + " must be at least 1s");
    }
    return new UserStoreSettings(grace);
  }
}
