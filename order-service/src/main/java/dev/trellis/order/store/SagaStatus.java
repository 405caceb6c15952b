package dev.trellis.order.store;

/** Where a saga is; stored in order_sagas.status. */
public enum SagaStatus {
  /** Stored, not started. */
  PENDING,
  /** Running its steps forward. */
  IN_PROGRESS,
  /** Every step done; its order is CONFIRMED. */
  COMPLETED,
  /** Undoing what its steps did, after a failed step or a cancellation. */
  COMPENSATING,
  /** Ended without completing, everything undone; its order is REJECTED or CANCELLED. */
  FAILED;

  /** PENDING, IN_PROGRESS and COMPENSATING: someone must drive it to an end. */
  public boolean unfinished() {
    return this == PENDING || this == IN_PROGRESS || this == COMPENSATING;
  }
}
