package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

/**
 * The client error the first call with an idempotency key answered, to be answered again as it was.
 */
public final class ReplayedFailureException extends RuntimeException {
  private final byte[] status;

  ReplayedFailureException(byte[] status) {
    super("replayed failure", null, false, false);
    this.status = requireNonNull(status, "status").clone();
  }

  /** The serialized google.rpc.Status the first call ended with. */
  public byte[] status() {
    return status.clone();
  }
}
