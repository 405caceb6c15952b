package dev.trellis.order.partner;

/** Sends the buyer an email about an order. Every call carries an idempotency key (the saga id and step). */
public interface Notifier {
  /** What a message says. */
  enum Kind {
    /** The order is confirmed. */
    CONFIRMATION,
    /** The order is cancelled (it was confirmed before). */
    CANCELLATION
  }

  /**
   * Sends one message, once per key.
   *
   * @throws PartnerRefusedException when the mailbox does not exist (a hard bounce)
   * @throws PartnerUnavailableException when the mail service cannot answer now
   */
  void send(String idempotencyKey, String recipient, Kind kind, long orderId);
}
