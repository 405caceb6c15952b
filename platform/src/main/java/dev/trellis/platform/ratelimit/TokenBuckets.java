package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Bucket4j token buckets by key (a client address, a principal), kept in a bounded cache so that a flood of new
 * keys cannot exhaust memory. A bucket idle for longer than it takes to refill is as good as a new one, so
 * forgetting idle buckets loses nothing.
 */
final class TokenBuckets {
  private static final long MAX_KEYS = 100_000;
  private static final Duration IDLE = Duration.ofMinutes(10);

  private final Cache<Object, Bucket> buckets;
  private final TimeMeter timeMeter;

  TokenBuckets(Clock clock) {
    requireNonNull(clock, "clock");
    this.timeMeter = new ClockTimeMeter(clock);
    this.buckets = Caffeine.newBuilder()
        .maximumSize(MAX_KEYS)
        .expireAfterAccess(IDLE)
        .ticker(timeMeter::currentTimeNanos)
        .build();
  }

  /**
   * Takes a token from the bucket of {@code key}, made with {@code limit} on first use.
   *
   * @return zero when a token was taken, else how long until one is available
   */
  Duration tryTake(Object key, RateLimit limit) {
    Bucket bucket = buckets.get(key, k -> Bucket.builder()
        .addLimit(l -> l.capacity(limit.burst()).refillGreedy(limit.perSecond(), Duration.ofSeconds(1)))
        .withCustomTimePrecision(timeMeter)
        .build());
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? Duration.ZERO : Duration.ofNanos(probe.getNanosToWaitForRefill());
  }

  /** Bucket4j's time source on a {@link Clock}, so tests refill buckets by moving the clock instead of waiting. */
  private record ClockTimeMeter(Clock clock) implements TimeMeter {
    @Override
    public long currentTimeNanos() {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public boolean isWallClockBased() {
      return true;
    }
  }
}
