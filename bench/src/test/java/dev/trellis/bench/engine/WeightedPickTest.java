package dev.trellis.bench.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedPickTest {
  private record Entry(String label, int weight) {}

  @Test
  void picksEachEntryAsOftenAsItsWeightSays() {
    WeightedPick<Entry> pick = WeightedPick.of(List.of(new Entry("a", 3), new Entry("b", 1)), Entry::weight);
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 40_000; i++) {
      seen.merge(pick.next().label(), 1, Integer::sum);
    }
    // 30,000 expected against 10,000; the bounds are dozens of standard deviations wide.
    assertThat(seen.get("a") / (double) seen.get("b")).isBetween(2.7, 3.3);
  }

  @Test
  void aSingleEntryIsAlwaysPickedAndAUniformPickReachesEveryEntry() {
    assertThat(WeightedPick.of(List.of(new Entry("only", 5)), Entry::weight).next().label()).isEqualTo("only");
    WeightedPick<String> uniform = WeightedPick.uniform(List.of("x", "y", "z"));
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 3_000; i++) {
      seen.merge(uniform.next(), 1, Integer::sum);
    }
    assertThat(seen).containsOnlyKeys("x", "y", "z");
  }

  @Test
  void describesAMixWithWeightsAndASingleCallByItsLabel() {
    List<Entry> mix = List.of(new Entry("GetUser", 3), new Entry("ListUsers", 1));
    assertThat(WeightedPick.describe(mix, Entry::weight, Entry::label)).isEqualTo("3*GetUser + 1*ListUsers");
    assertThat(WeightedPick.describe(mix.subList(0, 1), Entry::weight, Entry::label)).isEqualTo("GetUser");
  }

  @Test
  void refusesAnEmptyMixAndWeightsBelowOne() {
    assertThatThrownBy(() -> WeightedPick.uniform(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WeightedPick.of(List.of(new Entry("a", 0)), Entry::weight))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
  }
}
