package dev.trellis.order.partner;

import static java.util.Objects.requireNonNull;

/**
 * A partner said no, for good, and did nothing: a declined payment, an address the carrier will not serve, a
 * mailbox that does not exist. Retrying cannot help; the order is rejected with {@link #getMessage()}.
 */
public final class PartnerRefusedException extends RuntimeException {
  public PartnerRefusedException(String reason) {
    super(requireNonNull(reason, "reason"), null, false, false);
  }
}
