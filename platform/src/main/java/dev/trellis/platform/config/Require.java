package dev.trellis.platform.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The checks a configuration record runs on its values, once, in its constructor: each failure is a
 * {@link ConfigException} naming the variable, so a wrong setting stops the process with one line, and a record
 * built in code is held to the same rules.
 */
public final class Require {
  private Require() {}

  /** {@code value}, which must lie in {@code [min, max]}. */
  public static long between(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(name + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** {@code value}, which must lie in {@code [min, max]}. */
  public static int between(String name, int value, int min, int max) {
    return (int) between(name, (long) value, min, max);
  }

  /** {@code value}, which must be more than zero. */
  public static Duration positive(String name, Duration value) {
    requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new ConfigException(name + " must be more than zero");
    }
    return value;
  }

  /** {@code value}, which must be at least {@code min}. */
  public static Duration atLeast(String name, Duration value, Duration min) {
    requireNonNull(value, name);
    if (value.compareTo(min) < 0) {
      throw new ConfigException(name + " must be at least " + text(min) + ", got " + text(value));
    }
    return value;
  }

  /** {@code value}, which must be at most {@code max}. */
  public static Duration atMost(String name, Duration value, Duration max) {
    requireNonNull(value, name);
    if (value.compareTo(max) > 0) {
      throw new ConfigException(name + " must be at most " + text(max) + ", got " + text(value));
    }
    return value;
  }

  /** Fails with {@code message} (which names the variable) unless {@code condition} holds. */
  public static void that(boolean condition, String message) {
    if (!condition) {
      throw new ConfigException(message);
    }
  }

  /** A duration as it is written in settings: 250ms, 30s, 5m, 1h, 2d. */
  public static String text(Duration d) {
    if (d.toMillis() % 1000 != 0) {
      return d.toMillis() + "ms";
    }
    long seconds = d.toSeconds();
    if (seconds != 0 && seconds % 86_400 == 0) {
      return seconds / 86_400 + "d";
    } else if (seconds != 0 && seconds % 3600 == 0) {
      return seconds / 3600 + "h";
    } else if (seconds != 0 && seconds % 60 == 0) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }
}
