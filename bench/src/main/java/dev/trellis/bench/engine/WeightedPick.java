package dev.trellis.bench.engine;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Picks the entries of a load's mix at random, each as often as its weight says: one of weight 3 three times as
 * often as one of weight 1. A table of indexes, each repeated by its weight, makes a pick one uniform draw.
 */
final class WeightedPick<T> {
  private final List<T> entries;
  private final int[] tickets;

  private WeightedPick(List<T> entries, int[] tickets) {
    this.entries = entries;
    this.tickets = tickets;
  }

  /** A pick over {@code entries} (at least one), by {@code weight} (at least 1 each). */
  static <T> WeightedPick<T> of(List<T> entries, ToIntFunction<? super T> weight) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("a mix needs at least one entry");
    }
    int[] weights = entries.stream().mapToInt(weight).toArray();
    int[] tickets = new int[java.util.Arrays.stream(weights).sum()];
    int at = 0;
    for (int i = 0; i < weights.length; i++) {
      if (weights[i] < 1) {
        throw new IllegalArgumentException("weights must be at least 1, got " + weights[i]);
      }
      for (int w = 0; w < weights[i]; w++) {
        tickets[at++] = i;
      }
    }
    return new WeightedPick<>(List.copyOf(entries), tickets);
  }

  /** A pick where every entry is as likely. */
  static <T> WeightedPick<T> uniform(List<T> entries) {
    return of(entries, e -> 1);
  }

  /** How a mix reads in reports: {@code 3*GetUser + 1*ListUsers}, or the one entry's label alone. */
  static <T> String describe(List<T> entries, ToIntFunction<? super T> weight, Function<? super T, String> label) {
    return String.join(" + ", entries.stream()
        .map(e -> (entries.size() > 1 ? weight.applyAsInt(e) + "*" : "") + label.apply(e)).toList());
  }

  /** The next entry, at random by weight; safe from any thread. */
  T next() {
    return tickets.length == 1 ? entries.get(0)
        : entries.get(tickets[ThreadLocalRandom.current().nextInt(tickets.length)]);
  }
}
