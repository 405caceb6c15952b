package dev.trellis.order.partner;

import static dev.trellis.order.store.jooq.Tables.SIM_PAYMENTS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.jooq.tables.records.SimPaymentsRecord;
import dev.trellis.platform.data.ShardedDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.impl.DSL;

/**
 * A stand-in for a payment provider, with its failure modes chosen by the payment token, as a provider's test mode
 * does: {@value #DECLINE} is declined, {@value #FLAKY} is unavailable twice per key and then succeeds (its refunds
 * too),
 * {@value #TIMEOUT} never answers within any step timeout, {@value #SLOW} answers after {@link #SLOW_LATENCY} and
 * charges (a caller with a shorter deadline meets a sleeping server), anything else (such as {@code tok_visa}) is
 * charged. Its
 * ledger (sim_payments) is idempotent by key and survives the service, so tests can check that charges match
 * orders exactly.
 */
public final class PaymentGatewaySimulator implements PaymentGateway {
  public static final String DECLINE = "tok_decline";
  public static final String FLAKY = "tok_flaky";
  public static final String TIMEOUT = "tok_timeout";
  public static final String SLOW = "tok_slow";
  /** How long a charge with {@value #SLOW} takes: longer than a hurried caller waits, far below a step timeout. */
  public static final Duration SLOW_LATENCY = Duration.ofSeconds(2);
  private static final String NAME = "the payment provider";
  private static final int FLAKY_FAILURES = 2;

  private final SimulatorLedger ledger;
  private final Map<String, Integer> flakyAttempts = new ConcurrentHashMap<>();

  /** @param latency how long every call takes */
  public PaymentGatewaySimulator(ShardedDatabase db, Duration latency) {
    this.ledger = new SimulatorLedger(db, latency);
  }

  @Override
  public String charge(String idempotencyKey, long orderId, String paymentToken, long amountCents,
      String currency) {
    requireNonNull(idempotencyKey, "idempotencyKey");
    ledger.delay(NAME);
    switch (paymentToken) {
      case DECLINE -> throw new PartnerRefusedException("payment declined");
      case TIMEOUT -> ledger.hang(NAME);
      case SLOW -> SimulatorLedger.sleep(SLOW_LATENCY, NAME);
      case FLAKY -> flaky(idempotencyKey);
      default -> { }
    }
    // Once per key: a repeat finds the first row (the no-op update makes RETURNING give it back).
    SimPaymentsRecord charge = ledger.write(orderId, dsl -> dsl.insertInto(SIM_PAYMENTS)
        .set(SIM_PAYMENTS.IDEMPOTENCY_KEY, idempotencyKey)
        .set(SIM_PAYMENTS.ORDER_ID, orderId)
        .set(SIM_PAYMENTS.PAYMENT_ID, "pay_" + UUID.randomUUID().toString().replace("-", ""))
        .set(SIM_PAYMENTS.TOKEN, paymentToken)
        .set(SIM_PAYMENTS.AMOUNT_CENTS, amountCents)
        .set(SIM_PAYMENTS.CURRENCY, currency)
        .set(SIM_PAYMENTS.STATE, "CHARGED")
        .onConflict(SIM_PAYMENTS.IDEMPOTENCY_KEY)
        .doUpdate()
        .set(SIM_PAYMENTS.IDEMPOTENCY_KEY, DSL.excluded(SIM_PAYMENTS.IDEMPOTENCY_KEY))
        .returning()
        .fetchSingle());
    if (charge.getState().equals(SimulatorLedger.VOIDED)) {
      throw new PartnerRefusedException("the payment was refunded before it was taken");
    }
    return charge.getPaymentId();
  }

  @Override
  public void refund(String chargeKey, long orderId) {
    requireNonNull(chargeKey, "chargeKey");
    ledger.delay(NAME);
    // A flaky provider is flaky for refunds of its charges too.
    String token = ledger.write(orderId, dsl -> dsl.select(SIM_PAYMENTS.TOKEN).from(SIM_PAYMENTS)
        .where(SIM_PAYMENTS.IDEMPOTENCY_KEY.eq(chargeKey)).fetchOne(SIM_PAYMENTS.TOKEN));
    if (FLAKY.equals(token)) {
      flaky(chargeKey + "/refund");
    }
    ledger.undo(SIM_PAYMENTS, SIM_PAYMENTS.IDEMPOTENCY_KEY, SIM_PAYMENTS.ORDER_ID, SIM_PAYMENTS.STATE,
        SIM_PAYMENTS.UPDATED_AT, chargeKey, orderId, "CHARGED", "REFUNDED");
  }

  /** Unavailable for the first {@value #FLAKY_FAILURES} calls with this key, then fine. */
  private void flaky(String key) {
    if (flakyAttempts.merge(key, 1, Integer::sum) <= FLAKY_FAILURES) {
      throw new PartnerUnavailableException(NAME + " is unavailable; retry");
    }
  }

  /** Charges taken and not refunded, over the whole ledger (read-only, for tests and checks). */
  public long charged() {
    return ledger.count(SIM_PAYMENTS, SIM_PAYMENTS.STATE.eq("CHARGED"));
  }

  /** Charges taken and refunded since. */
  public long refunded() {
    return ledger.count(SIM_PAYMENTS, SIM_PAYMENTS.STATE.eq("REFUNDED"));
  }

  /** The state of the charge made with this key (CHARGED, REFUNDED, VOIDED), if any call used the key. */
  public Optional<String> stateOf(String key) {
    return ledger.find(SIM_PAYMENTS, SIM_PAYMENTS.IDEMPOTENCY_KEY.eq(key)).map(SimPaymentsRecord::getState);
  }
}
