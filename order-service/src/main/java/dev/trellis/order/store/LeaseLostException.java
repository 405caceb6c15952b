package dev.trellis.order.store;

/**
 * This replica no longer holds the lease of a saga (it expired and another replica took the saga over, or the saga
 * ended): it must stop driving it. Nothing was written.
 */
public final class LeaseLostException extends RuntimeException {
  public LeaseLostException(String sagaId) {
    super("lost the lease of saga " + sagaId, null, false, false);
  }
}
