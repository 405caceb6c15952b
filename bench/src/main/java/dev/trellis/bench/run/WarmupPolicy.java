package dev.trellis.bench.run;

import dev.trellis.platform.config.ConfigException;
import java.time.Duration;
import java.util.Locale;

/**
 * How long each side warms up before it is measured. A fixed time is not enough on a small machine (issue 15: the
 * service ran at a third of its speed for the first minute while C2 compiled), so the default runs slices until the
 * rate settles and the JIT compilers of the JVMs involved have gone quiet, between a floor and a cap.
 *
 * @param fixed a fixed warm-up ({@code --warmup=60s}); null for "until settled"
 * @param min the floor of a settled warm-up
 * @param max the cap of a settled warm-up (the report then says it did not settle)
 * @param slice the length of one slice
 * @param tolerance two slices in a row within this fraction of each other count as a settled rate
 * @param quietCores compiler threads using less than this (cores) count as quiet
 */
public record WarmupPolicy(Duration fixed, Duration min, Duration max, Duration slice, double tolerance,
    double quietCores) {
  public static final Duration DEFAULT_MIN = Duration.ofSeconds(20);
  public static final Duration DEFAULT_MAX = Duration.ofSeconds(120);
  public static final Duration SLICE = Duration.ofSeconds(5);

  public WarmupPolicy {
    if (fixed == null && (min == null || max == null || min.compareTo(max) > 0)) {
      throw new ConfigException("--warmup-min must not exceed --warmup-max");
    }
  }

  /** {@code auto}, {@code off} (same as 0s) or a duration, as {@code --warmup} takes it. */
  public static WarmupPolicy of(String text, Duration min, Duration max) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "auto" -> new WarmupPolicy(null, min, max, SLICE, 0.05, 0.05);
      case "off", "none", "0", "0s" -> new WarmupPolicy(Duration.ZERO, null, null, SLICE, 0, 0);
      default -> new WarmupPolicy(dev.trellis.platform.config.Settings.of(java.util.Map.of("TRELLIS_WARMUP", text))
          .duration("TRELLIS_WARMUP", Duration.ZERO), null, null, SLICE, 0, 0);
    };
  }

  public boolean off() {
    return fixed != null && fixed.isZero();
  }

  public String describe() {
    if (fixed != null) {
      return fixed.isZero() ? "none" : "fixed " + fixed.toSeconds() + " s per side";
    }
    return String.format(Locale.ROOT, "until settled, per side: %d s slices until two in a row are within %.0f%%"
            + " and the JIT compilers of the JVMs involved use under %.0f%% of a core; at least %d s, at most %d s",
        slice.toSeconds(), tolerance * 100, quietCores * 100, min.toSeconds(), max.toSeconds());
  }
}
