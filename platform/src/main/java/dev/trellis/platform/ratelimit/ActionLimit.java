package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.ResourceExhaustedException;
import java.time.Clock;
import java.time.Duration;

/**
 * A limit a service puts on one of its own actions, per key (a principal, say): where the per-method limits of
 * {@link RateLimitConfig} are too coarse, such as "email changes per user" inside UpdateUser. Over the limit:
 * RESOURCE_EXHAUSTED with a RetryInfo spread as {@link TokenBuckets} spreads it.
 */
public final class ActionLimit {
  private final String refusal;
  private final RateLimit limit;
  private final TokenBuckets buckets;

  /**
   * @param action what is limited, for the refusal: "email changes" gives "too many email changes; retry later"
   */
  public ActionLimit(String action, RateLimit limit, Clock clock) {
    this.refusal = "too many " + requireNonNull(action, "action") + "; retry later";
    this.limit = requireNonNull(limit, "limit");
    this.buckets = new TokenBuckets(requireNonNull(clock, "clock"));
  }

  /**
   * Spends one of {@code key}'s tokens.
   *
   * @throws ResourceExhaustedException when it has none left, with the delay after which trying again can work
   */
  public void take(Object key) {
    Duration wait = buckets.tryTake(requireNonNull(key, "key"), limit);
    if (!wait.isZero()) {
      throw new ResourceExhaustedException(refusal, wait);
    }
  }
}
