package dev.trellis.platform.ratelimit;

import dev.trellis.platform.config.ConfigException;
import java.util.Optional;

/**
 * The shape of a token bucket: {@code perSecond} tokens refill every second, up to {@code burst}. Written
 * {@code 100/200} in settings; {@code off} means no limit.
 */
public record RateLimit(long perSecond, long burst) {
  public RateLimit {
    if (perSecond < 1 || burst < 1) {
      throw new IllegalArgumentException("rate and burst must be positive: " + perSecond + "/" + burst);
    }
  }

  /** Parses {@code <per second>/<burst>} (or a bare rate, burst = rate), or {@code off} for no limit. */
  public static Optional<RateLimit> parse(String variable, String text) {
    String value = text.trim();
    if (value.equalsIgnoreCase("off")) {
      return Optional.empty();
    }
    int slash = value.indexOf('/');
    try {
      long perSecond = Long.parseLong(slash < 0 ? value : value.substring(0, slash).trim());
      long burst = slash < 0 ? perSecond : Long.parseLong(value.substring(slash + 1).trim());
      return Optional.of(new RateLimit(perSecond, burst));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(variable + " must be '<requests per second>/<burst>' with positive whole numbers"
          + " (for example 100/200) or 'off', got '" + text + "'");
    }
  }

  @Override
  public String toString() {
    return perSecond + "/" + burst;
  }
}
