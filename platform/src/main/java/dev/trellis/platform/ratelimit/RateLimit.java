package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;
import java.util.Optional;

/**
 * The shape of a token bucket: {@code tokens} refill every {@code period}, up to {@code burst}. Written
 * {@code 100/200} in settings (per second), or with a period, {@code 5/5 per 1h}; {@code off} means no limit.
 */
public record RateLimit(long tokens, long burst, Duration period) {
  public RateLimit {
    requireNonNull(period, "period");
    if (tokens < 1 || burst < 1 || period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("rate, burst and period must be positive: " + tokens + "/" + burst
          + " per " + period);
    }
  }

  /** {@code perSecond} tokens a second, up to {@code burst}. */
  public RateLimit(long perSecond, long burst) {
    this(perSecond, burst, Duration.ofSeconds(1));
  }

  /**
   * Parses {@code <rate>/<burst>} (or a bare rate, burst = rate), per second unless {@code per <duration>} follows
   * ({@code 5/5 per 1h}), or {@code off} for no limit.
   */
  public static Optional<RateLimit> parse(String variable, String text) {
    String value = text.trim();
    if (value.equalsIgnoreCase("off")) {
      return Optional.empty();
    }
    Duration period = Duration.ofSeconds(1);
    int per = value.indexOf(" per ");
    try {
      if (per >= 0) {
        period = Settings.parseDuration(variable, value.substring(per + 5).trim());
        value = value.substring(0, per).trim();
      }
      int slash = value.indexOf('/');
      long rate = Long.parseLong(slash < 0 ? value : value.substring(0, slash).trim());
      long burst = slash < 0 ? rate : Long.parseLong(value.substring(slash + 1).trim());
      return Optional.of(new RateLimit(rate, burst, period));
    } catch (IllegalArgumentException | ConfigException e) {
      throw new ConfigException(variable + " must be '<requests per second>/<burst>' with positive whole numbers"
          + " (for example 100/200), optionally with a period ('5/5 per 1h'), or 'off', got '" + text + "'");
    }
  }

  /** How long one token takes to refill. */
  public Duration refillTime() {
    return period.dividedBy(tokens);
  }

  /** Whether this limit lets more calls through over time than {@code other}. */
  public boolean isMoreGenerousThan(RateLimit other) {
    return refillTime().compareTo(other.refillTime()) < 0;
  }

  @Override
  public String toString() {
    return tokens + "/" + burst + (period.equals(Duration.ofSeconds(1)) ? "" : " per " + period);
  }
}
