package dev.trellis.order.partner;

import static dev.trellis.order.store.jooq.Tables.SIM_NOTIFICATIONS;
import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.ShardedDatabase;
import java.time.Duration;
import java.util.Locale;

/**
 * A stand-in for a mail service: delivers every message except to addresses in the reserved {@value #BOUNCING_TLD}
 * top-level domain (RFC 2606), which bounce for good, as a mailbox that does not exist does. Its ledger
 * (sim_notifications) keeps each message once per key and survives the service.
 */
public final class NotifierSimulator implements Notifier {
  public static final String BOUNCING_TLD = ".invalid";
  private static final String NAME = "the mail service";

  private final SimulatorLedger ledger;

  /** @param latency how long every call takes */
  public NotifierSimulator(ShardedDatabase db, Duration latency) {
    this.ledger = new SimulatorLedger(db, latency);
  }

  @Override
  public void send(String idempotencyKey, String recipient, Kind kind, long orderId) {
    requireNonNull(idempotencyKey, "idempotencyKey");
    requireNonNull(recipient, "recipient");
    requireNonNull(kind, "kind");
    ledger.delay(NAME);
    if (recipient.toLowerCase(Locale.ROOT).endsWith(BOUNCING_TLD)) {
      throw new PartnerRefusedException("the mailbox " + recipient + " does not exist");
    }
    ledger.write(orderId, dsl -> dsl.insertInto(SIM_NOTIFICATIONS)
        .set(SIM_NOTIFICATIONS.IDEMPOTENCY_KEY, idempotencyKey)
        .set(SIM_NOTIFICATIONS.RECIPIENT, recipient)
        .set(SIM_NOTIFICATIONS.KIND, kind.name())
        .set(SIM_NOTIFICATIONS.ORDER_ID, orderId)
        .onConflictDoNothing()
        .execute());
  }

  /** Messages of a kind sent, over the whole ledger (read-only, for tests and checks). */
  public long sent(Kind kind) {
    return ledger.count(SIM_NOTIFICATIONS, SIM_NOTIFICATIONS.KIND.eq(kind.name()));
  }

  /** Messages of a kind sent about one order. */
  public long sent(Kind kind, long orderId) {
    return ledger.count(SIM_NOTIFICATIONS,
        SIM_NOTIFICATIONS.KIND.eq(kind.name()).and(SIM_NOTIFICATIONS.ORDER_ID.eq(orderId)));
  }
}
