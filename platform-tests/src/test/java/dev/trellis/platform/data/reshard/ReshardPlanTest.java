package dev.trellis.platform.data.reshard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ReshardPlanTest {
  @Test
  void growingFourToSixGivesEachRangeToTheShardHoldingMostOfItAndMovesOnlyTheRest() {
    ReshardPlan plan = ReshardPlan.of(BucketDirectory.evenRanges(4), 6);

    // Range i on shard i would move 769 buckets; keeping the largest overlaps moves 342.
    assertThat(plan.moves()).hasSize(342);
    int[] perShard = new int[6];
    for (int b = 0; b < ShardId.BUCKETS; b++) {
      perShard[plan.targetOf(b)]++;
    }
    assertThat(Arrays.stream(perShard).boxed().toList()).allSatisfy(n -> assertThat(n).isBetween(170, 171));
    assertThat(plan.moves()).allSatisfy(m -> {
      assertThat(m.from()).isEqualTo(BucketDirectory.evenRanges(4).shardOf(m.bucket()));
      assertThat(m.to()).isEqualTo(plan.targetOf(m.bucket())).isNotEqualTo(m.from());
    });
    // Every new range is a run of consecutive buckets (the directory stays six ranges).
    assertThat(BucketDirectory.of(2, targets(plan), 6).ranges()).hasSize(6);
  }

  @Test
  void shrinkingBackMovesTheSameBucketsHomeAndDrainsTheLastShards() {
    BucketDirectory four = BucketDirectory.evenRanges(4);
    BucketDirectory six = BucketDirectory.of(2, targets(ReshardPlan.of(four, 6)), 6);

    ReshardPlan back = ReshardPlan.of(six, 4);

    assertThat(back.moves()).hasSize(342);
    assertThat(targets(back)).isEqualTo(IntStream.range(0, ShardId.BUCKETS).map(four::shardOf).toArray());
    assertThat(back.moves()).allSatisfy(m -> assertThat(m.to()).isLessThan(4));
  }

  @Test
  void aBalancedDirectoryHasNothingToMove() {
    assertThat(ReshardPlan.of(BucketDirectory.evenRanges(4), 4).done()).isTrue();
    ReshardPlan half = ReshardPlan.of(BucketDirectory.evenRanges(4).withBucketMoved(3, 2), 4);
    assertThat(half.moves()).containsExactly(new ReshardPlan.Move(3, 2, 0));
  }

  private static int[] targets(ReshardPlan plan) {
    return Arrays.stream(IntStream.range(0, ShardId.BUCKETS).toArray()).map(plan::targetOf).toArray();
  }
}
