package dev.trellis.order.partner;

/**
 * The payment provider. Every call carries an idempotency key (the saga id and step): a retried charge charges
 * once, and a refund refers to the charge by its key. It also carries the order id as the merchant's reference, as
 * real providers take one (the simulator keeps its ledger row on that order's bucket).
 */
public interface PaymentGateway {
  /**
   * Charges {@code amountCents} to the payment token, once per key; a repeat returns the same payment id.
   *
   * @return the provider's payment id
   * @throws PartnerRefusedException when the payment is declined (or was refunded before it came)
   * @throws PartnerUnavailableException when the provider cannot answer now
   */
  String charge(String idempotencyKey, long orderId, String paymentToken, long amountCents, String currency);

  /**
   * Refunds the charge made with {@code chargeKey}. A refund of a charge that never happened is a no-op that also
   * stops that charge from happening later; a repeat refunds nothing more.
   *
   * @throws PartnerUnavailableException when the provider cannot answer now
   */
  void refund(String chargeKey, long orderId);
}
