package dev.trellis.order.partner;

import static dev.trellis.order.store.jooq.Tables.SIM_SHIPMENTS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.OrderLine;
import dev.trellis.order.rules.ShippingAddress;
import dev.trellis.order.store.jooq.tables.records.SimShipmentsRecord;
import dev.trellis.platform.data.ShardedDatabase;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jooq.impl.DSL;

/**
 * A stand-in for a carrier: books shipments to any country but {@value #REFUSED_COUNTRY} (a reserved ISO code the
 * carrier refuses, as a real one refuses places it does not serve). Its ledger (sim_shipments) is idempotent by key
 * and survives the service.
 */
public final class ShipmentServiceSimulator implements ShipmentService {
  public static final String REFUSED_COUNTRY = "XX";
  private static final String NAME = "the carrier";

  private final SimulatorLedger ledger;

  /** @param latency how long every call takes */
  public ShipmentServiceSimulator(ShardedDatabase db, Duration latency) {
    this.ledger = new SimulatorLedger(db, latency);
  }

  @Override
  public String create(String idempotencyKey, long orderId, ShippingAddress address, List<OrderLine> lines) {
    requireNonNull(idempotencyKey, "idempotencyKey");
    ledger.delay(NAME);
    if (address.countryCode().equals(REFUSED_COUNTRY)) {
      throw new PartnerRefusedException("the carrier does not ship to " + REFUSED_COUNTRY);
    }
    // Once per key: a repeat finds the first row (the no-op update makes RETURNING give it back).
    SimShipmentsRecord shipment = ledger.write(orderId, dsl -> dsl.insertInto(SIM_SHIPMENTS)
        .set(SIM_SHIPMENTS.IDEMPOTENCY_KEY, idempotencyKey)
        .set(SIM_SHIPMENTS.ORDER_ID, orderId)
        .set(SIM_SHIPMENTS.SHIPMENT_ID, "shp_" + UUID.randomUUID().toString().replace("-", ""))
        .set(SIM_SHIPMENTS.COUNTRY, address.countryCode())
        .set(SIM_SHIPMENTS.STATE, "CREATED")
        .onConflict(SIM_SHIPMENTS.IDEMPOTENCY_KEY)
        .doUpdate()
        .set(SIM_SHIPMENTS.IDEMPOTENCY_KEY, DSL.excluded(SIM_SHIPMENTS.IDEMPOTENCY_KEY))
        .returning()
        .fetchSingle());
    if (shipment.getState().equals(SimulatorLedger.VOIDED)) {
      throw new PartnerRefusedException("the shipment was cancelled before it was booked");
    }
    return shipment.getShipmentId();
  }

  @Override
  public void cancel(String shipmentKey, long orderId) {
    requireNonNull(shipmentKey, "shipmentKey");
    ledger.delay(NAME);
    ledger.undo(SIM_SHIPMENTS, SIM_SHIPMENTS.IDEMPOTENCY_KEY, SIM_SHIPMENTS.ORDER_ID, SIM_SHIPMENTS.STATE,
        SIM_SHIPMENTS.UPDATED_AT, shipmentKey, orderId, "CREATED", "CANCELLED");
  }

  /** Shipments booked and not cancelled, over the whole ledger (read-only, for tests and checks). */
  public long booked() {
    return ledger.count(SIM_SHIPMENTS, SIM_SHIPMENTS.STATE.eq("CREATED"));
  }

  /** Shipments booked and cancelled since. */
  public long cancelled() {
    return ledger.count(SIM_SHIPMENTS, SIM_SHIPMENTS.STATE.eq("CANCELLED"));
  }
}
