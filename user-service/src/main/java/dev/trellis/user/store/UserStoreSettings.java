package dev.trellis.user.store;

import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * @param reservationGrace how old an unconfirmed email reservation must be before another create may take it
 *     over: longer than any create can take, so that a live create is never robbed
 */
public record UserStoreSettings(Duration reservationGrace) {
  public static final String RESERVATION_GRACE = "TRELLIS_EMAIL_RESERVATION_GRACE";

  public UserStoreSettings {
    Require.atLeast(RESERVATION_GRACE, reservationGrace, Duration.ofSeconds(1));
  }

  public static UserStoreSettings defaults() {
    return new UserStoreSettings(Duration.ofSeconds(30));
  }

  /** {@code TRELLIS_EMAIL_RESERVATION_GRACE}, default 30s. */
  public static UserStoreSettings fromSettings(Settings settings) {
    return new UserStoreSettings(settings.duration(RESERVATION_GRACE, defaults().reservationGrace()));
  }
}
