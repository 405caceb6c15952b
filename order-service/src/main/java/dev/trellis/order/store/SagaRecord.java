package dev.trellis.order.store;

import static java.util.Objects.requireNonNull;

/** An order and its saga, read together: what the saga's steps work from. */
public record SagaRecord(StoredOrder order, StoredSaga saga) {
  public SagaRecord {
    requireNonNull(order, "order");
    requireNonNull(saga, "saga");
  }

  public SagaRecord with(StoredSaga saga) {
    return new SagaRecord(order, saga);
  }

  public SagaRecord with(StoredOrder order) {
    return new SagaRecord(order, saga);
  }
}
