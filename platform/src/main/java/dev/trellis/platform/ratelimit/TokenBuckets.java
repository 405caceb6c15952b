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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bucket4j token buckets by key (a client address, a principal), kept in a bounded cache so that a flood of new
 * keys cannot exhaust memory. A bucket idle for longer than it takes to refill is as good as a new one, so
 * forgetting idle buckets loses nothing.
 *
 * <p>The retry delay of a refused call is the real refill time, spread: telling every refused caller "one token in
 * 10 ms" brings them all back at once, to find one token. So refused callers of one bucket are given successive
 * token times (the first when the next token refills, the next one a token later, and so on, up to the time the
 * whole burst takes to refill), plus up to a quarter more at random, so callers told the same slot do not come
 * back in step. A delay is never shorter than the time until a token really is there.
 */
final class TokenBuckets {
  private static final long MAX_KEYS = 100_000;
  private static final Duration IDLE = Duration.ofMinutes(10);

  private final Cache<Object, Entry> buckets;
  private final TimeMeter timeMeter;

  TokenBuckets(Clock clock) {
    requireNonNull(clock, "clock");
    this.timeMeter = new ClockTimeMeter(clock);
    this.buckets = Caffeine.newBuilder()
        .maximumSize(MAX_KEYS)
        .expireAfterAccess(IDLE)
        .ticker(timeMeter::currentTimeNanos)
        // Upkeep (access order, expiry) on the calling thread: every call reads this cache, and the default
        // hands the upkeep to the common pool, waking one of its threads many times a second under load.
        .executor(Runnable::run)
        .build();
  }

  /**
   * Takes a token from the bucket of {@code key}, made with {@code limit} on first use.
   *
   * @return zero when a token was taken, else how long the caller should wait before trying again
   */
  Duration tryTake(Object key, RateLimit limit) {
    Entry entry = buckets.get(key, k -> new Entry(Bucket.builder()
        .addLimit(l -> l.capacity(limit.burst()).refillGreedy(limit.tokens(), limit.period()))
        .withCustomTimePrecision(timeMeter)
        .build(), new AtomicLong(Long.MIN_VALUE)));
    ConsumptionProbe probe = entry.bucket().tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) {
      return Duration.ZERO;
    }
    long now = timeMeter.currentTimeNanos();
    long spacing = Math.max(1, limit.refillTime().toNanos());
    long firstToken = now + probe.getNanosToWaitForRefill();
    long latest = now + Math.max(probe.getNanosToWaitForRefill(), saturatedMultiply(spacing, limit.burst()));
    long slot;
    while (true) {
      long next = entry.nextRetry().get();
      slot = Math.min(Math.max(firstToken, next), latest);
      if (entry.nextRetry().compareAndSet(next, Math.min(slot + spacing, latest))) {
        break;
      }
    }
    long delay = slot - now;
    long jitter = ThreadLocalRandom.current().nextLong(Math.max(delay / 4, 1_000_000));
    return Duration.ofNanos(delay + jitter);
  }

  private static long saturatedMultiply(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    return high != 0 || a * b < 0 ? Long.MAX_VALUE / 4 : a * b;
  }

  /** A bucket, and the time the next refused caller of it is told to come back. */
  private record Entry(Bucket bucket, AtomicLong nextRetry) {}

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
