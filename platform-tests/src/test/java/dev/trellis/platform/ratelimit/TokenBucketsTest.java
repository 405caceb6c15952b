package dev.trellis.platform.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Retry delays of refused callers: the real refill time, spread over the callers, never all "in 10 ms". */
class TokenBucketsTest {
  private final MutableClock clock = MutableClock.startingNow();
  private final TokenBuckets buckets = new TokenBuckets(clock);
  private final RateLimit limit = new RateLimit(100, 200); // the default user limit: a token every 10 ms

  @Test
  void refusedCallersAreSentBackAtSuccessiveTokenTimesWithJitter() {
    for (int i = 0; i < 200; i++) {
      assertThat(buckets.tryTake("ada", limit)).isZero();
    }
    List<Duration> delays = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      delays.add(buckets.tryTake("ada", limit));
    }

    for (int k = 0; k < delays.size(); k++) {
      Duration slot = Duration.ofMillis(10L * (k + 1));
      assertThat(delays.get(k)).as("caller %d", k).isBetween(slot, slot.plus(slot.dividedBy(4)).plusMillis(1));
    }
    assertThat(delays.getLast().minus(delays.getFirst())).isGreaterThan(Duration.ofMillis(900));
    assertThat(delays.stream().distinct().count()).isGreaterThan(90);
  }

  @Test
  void delaysStopGrowingAtTheTimeTheWholeBurstTakesToRefill() {
    RateLimit small = new RateLimit(1, 2);
    buckets.tryTake("bob", small);
    buckets.tryTake("bob", small);
    for (int i = 0; i < 50; i++) {
      assertThat(buckets.tryTake("bob", small)).isBetween(Duration.ofSeconds(1), Duration.ofMillis(2500));
    }
  }

  @Test
  void aCallerToldToWaitFindsATokenWhenItComesBack() {
    for (int i = 0; i < 200; i++) {
      buckets.tryTake("eve", limit);
    }
    Duration delay = buckets.tryTake("eve", limit);

    clock.advance(delay);
    assertThat(buckets.tryTake("eve", limit)).isZero();
  }

  @Test
  void limitsWithAPeriodRefillOverIt() {
    RateLimit hourly = RateLimit.parse("X", "5/5 per 1h").orElseThrow();
    for (int i = 0; i < 5; i++) {
      assertThat(buckets.tryTake("carol", hourly)).isZero();
    }
    assertThat(buckets.tryTake("carol", hourly)).isBetween(Duration.ofMinutes(12), Duration.ofMinutes(15));
    assertThat(hourly).hasToString("5/5 per PT1H");
  }
}
