package dev.trellis.platform.data.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ShardIdTest {
  @Test
  void partsRoundTripThroughTheBitLayout() {
    Instant t = Instant.parse("2026-11-25T10:15:30.123Z");
    long id = ShardId.of(t, 1023, 4095);
    assertThat(id).isPositive();
    assertThat(ShardId.timestampOf(id)).isEqualTo(t);
    assertThat(ShardId.bucketOf(id)).isEqualTo(1023);
    assertThat(ShardId.sequenceOf(id)).isEqualTo(4095);
  }

  @Test
  void layoutIsFortyOneTenTwelveBits() {
    long id = ShardId.of(ShardId.EPOCH.plusMillis(1), 1, 1);
    assertThat(id).isEqualTo((1L << 22) | (1L << 12) | 1L);
  }

  @Test
  void laterTimestampsGiveLargerIdsWhateverTheBucket() {
    long early = ShardId.of(ShardId.EPOCH.plusMillis(10), 1023, 4095);
    long late = ShardId.of(ShardId.EPOCH.plusMillis(11), 0, 0);
    assertThat(late).isGreaterThan(early);
  }

  @Test
  void anyLongDecodesToABucketInRange() {
    assertThat(ShardId.bucketOf(Long.MAX_VALUE)).isEqualTo(1023);
    assertThat(ShardId.bucketOf(1)).isZero();
    assertThat(ShardId.bucketOf(-1)).isBetween(0, 1023);
  }

  @Test
  void partsOutOfRangeAreRejected() {
    assertThatThrownBy(() -> ShardId.of(ShardId.EPOCH, 1024, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShardId.of(ShardId.EPOCH, 0, 4096)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ShardId.of(ShardId.EPOCH.minusMillis(1), 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
