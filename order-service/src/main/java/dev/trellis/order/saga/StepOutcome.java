package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.OrderChange;
import java.util.Map;

/**
 * What a completed step reports: its result, kept in the saga's context, and the change it makes to its order.
 */
record StepOutcome(Map<String, String> result, OrderChange change) {
  StepOutcome {
    result = Map.copyOf(result);
    requireNonNull(change, "change");
  }

  static StepOutcome of(Map<String, String> result) {
    return new StepOutcome(result, OrderChange.none());
  }
}
