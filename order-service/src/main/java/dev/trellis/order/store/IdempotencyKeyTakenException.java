package dev.trellis.order.store;

/**
 * The idempotency key of an order being stored exists already: another call with the same key got there first (a
 * concurrent duplicate). Nothing of this order was stored; the caller answers with the first call's result.
 */
public final class IdempotencyKeyTakenException extends RuntimeException {
  public IdempotencyKeyTakenException(long userId, String key) {
    super("idempotency key of user " + userId + " is taken: " + key, null, false, false);
  }
}
