package dev.trellis.order.store;

/** Where an order is in its life; the same values as the API's OrderStatus. */
public enum OrderStatus {
  /** Its saga is running. */
  PENDING,
  /** Its saga completed; it may still be cancelled. */
  CONFIRMED,
  /** Cancelled, and everything its saga did was undone. Terminal. */
  CANCELLED,
  /** Refused by a saga step, and what the steps before it did was undone. Terminal. */
  REJECTED;

  /** CANCELLED and REJECTED never change again. */
  public boolean isTerminal() {
    return this == CANCELLED || this == REJECTED;
  }
}
