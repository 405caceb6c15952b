package dev.trellis.order.partner;

/** A partner cannot answer now (a 503, a reset connection): the call may be retried with the same key. */
public final class PartnerUnavailableException extends RuntimeException {
  public PartnerUnavailableException(String message) {
    super(message, null, false, false);
  }
}
