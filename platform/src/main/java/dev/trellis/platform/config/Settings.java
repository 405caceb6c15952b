package dev.trellis.platform.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Process settings, 12-factor style: environment variables, overridden by command-line flags. A flag
 * {@code --grpc-port=50051} sets {@code TRELLIS_GRPC_PORT}. Every getter validates and throws a
 * {@link ConfigException} naming the variable, so a process reads its whole configuration once at start into a
 * record and fails there, not on first use.
 */
public final class Settings {
  private static final String PREFIX = "TRELLIS_";
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private final Map<String, String> values;
  private final Set<String> flagNames;
  private final Set<String> read = new HashSet<>();

  private Settings(Map<String, String> values, Set<String> flagNames) {
    this.values = values;
    this.flagNames = flagNames;
  }

  /** The settings of this process: its environment and its arguments. */
  public static Settings fromProcess(String[] args) {
    return of(System.getenv(), args);
  }

  /** Settings from an explicit environment and flags, for tests and embedded use. */
  public static Settings of(Map<String, String> env, String... args) {
    Map<String, String> values = new HashMap<>(requireNonNull(env, "env"));
    Set<String> flags = new HashSet<>();
    List<String> list = Arrays.asList(args);
    for (int i = 0; i < list.size(); i++) {
      String arg = list.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new ConfigException("unexpected argument '" + arg + "'; flags look like --grpc-port=50051");
      }
      String flag = arg.substring(2);
      String value;
      int eq = flag.indexOf('=');
      if (eq >= 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      } else if (i + 1 < list.size() && !list.get(i + 1).startsWith("--")) {
        value = list.get(++i);
      } else {
        value = "true";
      }
      String name = variableOf(flag);
      values.put(name, value);
      flags.add(name);
    }
    return new Settings(values, flags);
  }

  /** A copy with more values, which win over the existing ones (for defaults of an embedded launch). */
  public Settings with(Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(values);
    merged.putAll(requireNonNull(overrides, "overrides"));
    return new Settings(merged, flagNames);
  }

  /** A copy with {@code defaults} for the values that are not set (a service's own default port, say). */
  public Settings withDefaults(Map<String, String> defaults) {
    Map<String, String> merged = new HashMap<>(requireNonNull(defaults, "defaults"));
    merged.putAll(values);
    return new Settings(merged, flagNames);
  }

  /** The variable a flag sets: {@code grpc-port} to {@code TRELLIS_GRPC_PORT}. */
  public static String variableOf(String flag) {
    return PREFIX + flag.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  public Optional<String> optional(String name) {
    read.add(name);
    String value = values.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  public String required(String name) {
    return optional(name).orElseThrow(() -> new ConfigException(name + " is required but not set"));
  }

  public int integer(String name, int defaultValue, int min, int max) {
    return (int) longValue(name, defaultValue, min, max);
  }

  /** A whole number of any size; the record that takes it checks its range. */
  public int integer(String name, int defaultValue) {
    return integer(name, defaultValue, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  public long longValue(String name, long defaultValue, long min, long max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      return Require.between(name, Long.parseLong(raw.get()), min, max);
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be a whole number, got '" + raw.get() + "'");
    }
  }

  public boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigException(name + " must be true or false, got '" + raw.get() + "'");
    };
  }

  /** A duration such as {@code 250ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 2d} or ISO-8601 {@code PT10S}. */
  public Duration duration(String name, Duration defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return parseDuration(name, raw.get());
  }

  /** Comma-separated values, trimmed, empty ones dropped. */
  public List<String> list(String name) {
    return optional(name)
        .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }

  public Path path(String name, Path defaultValue) {
    return optional(name).map(Path::of).orElse(defaultValue);
  }

  public <E extends Enum<E>> E choice(String name, Class<E> type, E defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      return Enum.valueOf(type, raw.get().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      List<String> allowed = Arrays.stream(type.getEnumConstants())
          .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
      throw new ConfigException(name + " must be one of " + allowed + ", got '" + raw.get() + "'");
    }
  }

  /** Fails on a flag that no setting read: a typo must not be ignored silently. Call after reading everything. */
  public void rejectUnknownFlags() {
    for (String name : flagNames) {
      if (!read.contains(name)) {
        throw new ConfigException("unknown flag --" + name.substring(PREFIX.length()).toLowerCase(Locale.ROOT)
            .replace('_', '-'));
      }
    }
  }

  /** Parses {@code raw} as {@link #duration} does; a bad value names {@code name}. */
  public static Duration parseDuration(String name, String raw) {
    Matcher m = DURATION.matcher(raw);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      Duration d = Duration.parse(raw);
      if (d.isNegative()) {
        throw new ConfigException(name + " must not be negative, got '" + raw + "'");
      }
      return d;
    } catch (DateTimeParseException e) {
      throw new ConfigException(name + " must be a duration such as 500ms, 10s, 5m or 1h, got '" + raw + "'");
    }
  }
}
