package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.INVENTORY;
import static dev.trellis.order.store.jooq.Tables.INVENTORY_RESERVATIONS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.jooq.tables.records.InventoryRecord;
import dev.trellis.order.store.jooq.tables.records.InventoryReservationsRecord;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.error.NotFoundException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.CommonTableExpression;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record1;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Stock per SKU on the shard of hash(sku), and what each order holds of it.
 *
 * <p>No oversell: a reservation moves units from available to reserved with {@code UPDATE ... WHERE available >=
 * quantity}, which PostgreSQL evaluates again on the row once a concurrent reservation of the same SKU commits, so
 * racing orders take turns and the last ones find too little; CHECK constraints refuse any negative count.
 *
 * <p>Idempotent by (order, sku): an order's saga runs on the order's shard and cannot share a transaction with the
 * SKU's shard, so after a crash it may repeat any inventory action. A reservation row records what the order holds:
 * reserving again, releasing again or confirming again changes nothing; a release that comes before its reserve
 * (the reserve timed out, but may still commit) leaves a RELEASED row, and the late reserve then reserves nothing.
 */
public final class InventoryStore {
  /** The resource type in NOT_FOUND details. */
  public static final String RESOURCE_TYPE = "trellis.order.v1.Stock";

  private static final String RESERVED = "RESERVED";
  private static final String SOLD = "SOLD";
  private static final String RELEASED = "RELEASED";
  /** SQLSTATE of a duplicate key. */
  private static final String UNIQUE_VIOLATION = "23505";

  private final ShardedDatabase db;
  private final Clock clock;

  public InventoryStore(ShardedDatabase db, Clock clock) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * The stock of a SKU.
   *
   * @throws NotFoundException for an unknown SKU
   */
  public Stock get(String sku) {
    return db.fetchOptionalByKey(sku, dsl -> dsl.selectFrom(INVENTORY).where(INVENTORY.SKU.eq(sku)))
        .map(InventoryStore::toStock)
        .orElseThrow(() -> notFound(sku));
  }

  /** Sets the available units and the price of a SKU, creating it if needed; reserved and sold units stay. */
  public Stock set(String sku, long available, long unitPriceCents) {
    requireNonNull(sku, "sku");
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return toStock(db.shardOfKey(sku).read(dsl -> dsl.insertInto(INVENTORY)
        .set(INVENTORY.SKU, sku)
        .set(INVENTORY.AVAILABLE, available)
        .set(INVENTORY.UNIT_PRICE_CENTS, unitPriceCents)
        .set(INVENTORY.UPDATED_AT, now)
        .onConflict(INVENTORY.SKU)
        .doUpdate()
        .set(INVENTORY.AVAILABLE, available)
        .set(INVENTORY.UNIT_PRICE_CENTS, unitPriceCents)
        .set(INVENTORY.UPDATED_AT, now)
        .returning()
        .fetchSingle()));
  }

  /** Creates a SKU with this stock and price unless it exists; returns whether it did. */
  public boolean addIfMissing(String sku, long available, long unitPriceCents) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return db.shardOfKey(sku).read(dsl -> dsl.insertInto(INVENTORY)
        .set(INVENTORY.SKU, sku)
        .set(INVENTORY.AVAILABLE, available)
        .set(INVENTORY.UNIT_PRICE_CENTS, unitPriceCents)
        .set(INVENTORY.UPDATED_AT, now)
        .onConflictDoNothing()
        .execute()) == 1;
  }

  /**
   * The unit price of each SKU, in the order given.
   *
   * @throws NotFoundException naming the first unknown SKU
   */
  public Map<String, Long> prices(List<String> skus) {
    Map<String, Long> prices = new LinkedHashMap<>();
    for (String sku : skus) {
      long price = db.fetchOptionalByKey(sku,
              dsl -> dsl.select(INVENTORY.UNIT_PRICE_CENTS).from(INVENTORY).where(INVENTORY.SKU.eq(sku)))
          .map(Record1::value1)
          .orElseThrow(() -> notFound(sku));
      prices.put(sku, price);
    }
    return prices;
  }

  /**
   * Reserves {@code quantity} units of a SKU for an order, once: a repeat answers as the first did, without
   * reserving again.
   */
  public Reservation reserve(long orderId, String sku, int quantity) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    if (reserveAtOnce(orderId, sku, quantity, now)) {
      return Reservation.reserved();
    }
    // Not reserved by that statement: a repeat, too little stock or an unknown SKU; find out, and reserve if the
    // stock has come back since.
    try {
      return db.shardOfKey(sku).transaction(tx -> {
        int inserted = tx.insertInto(INVENTORY_RESERVATIONS)
            .set(INVENTORY_RESERVATIONS.ORDER_ID, orderId)
            .set(INVENTORY_RESERVATIONS.SKU, sku)
            .set(INVENTORY_RESERVATIONS.QUANTITY, quantity)
            .set(INVENTORY_RESERVATIONS.STATE, RESERVED)
            .set(INVENTORY_RESERVATIONS.CREATED_AT, now)
            .set(INVENTORY_RESERVATIONS.UPDATED_AT, now)
            .onConflictDoNothing()
            .execute();
        if (inserted == 0) {
          String state = lock(tx, orderId, sku).getState();
          return state.equals(RELEASED) ? Reservation.released() : Reservation.reserved();
        }
        Long left = tx.update(INVENTORY)
            .set(INVENTORY.AVAILABLE, INVENTORY.AVAILABLE.minus(quantity))
            .set(INVENTORY.RESERVED, INVENTORY.RESERVED.plus(quantity))
            .set(INVENTORY.UPDATED_AT, now)
            .where(INVENTORY.SKU.eq(sku), INVENTORY.AVAILABLE.ge((long) quantity))
            .returning(INVENTORY.AVAILABLE)
            .fetchOne(INVENTORY.AVAILABLE);
        if (left == null) {
          Long available = tx.select(INVENTORY.AVAILABLE).from(INVENTORY).where(INVENTORY.SKU.eq(sku))
              .fetchOne(INVENTORY.AVAILABLE);
          // Thrown to roll the reservation row back: nothing was reserved.
          throw new Refused(available == null ? Reservation.unknownSku() : Reservation.outOfStock(available));
        }
        return Reservation.reserved();
      });
    } catch (Refused refused) {
      return refused.reservation;
    }
  }

  /**
   * The common case in one statement, so one round trip and no transaction: the stock moves to reserved and the
   * reservation row is written, or neither. A concurrent repeat for the same order fails on the reservation's key
   * and so moves nothing either.
   *
   * @return whether it reserved
   */
  private boolean reserveAtOnce(long orderId, String sku, int quantity, OffsetDateTime now) {
    try {
      return db.shardOfKey(sku).read(dsl -> {
        CommonTableExpression<?> moved = DSL.name("moved").as(dsl.update(INVENTORY)
            .set(INVENTORY.AVAILABLE, INVENTORY.AVAILABLE.minus(quantity))
            .set(INVENTORY.RESERVED, INVENTORY.RESERVED.plus(quantity))
            .set(INVENTORY.UPDATED_AT, now)
            .where(INVENTORY.SKU.eq(sku), INVENTORY.AVAILABLE.ge((long) quantity))
            .andNotExists(DSL.selectOne().from(INVENTORY_RESERVATIONS).where(
                INVENTORY_RESERVATIONS.ORDER_ID.eq(orderId), INVENTORY_RESERVATIONS.SKU.eq(sku)))
            .returning(INVENTORY.SKU));
        return dsl.with(moved).insertInto(INVENTORY_RESERVATIONS, INVENTORY_RESERVATIONS.ORDER_ID,
                INVENTORY_RESERVATIONS.SKU, INVENTORY_RESERVATIONS.QUANTITY, INVENTORY_RESERVATIONS.STATE,
                INVENTORY_RESERVATIONS.CREATED_AT, INVENTORY_RESERVATIONS.UPDATED_AT)
            .select(DSL.select(DSL.val(orderId), DSL.val(sku), DSL.val(quantity), DSL.val(RESERVED), DSL.val(now),
                DSL.val(now)).from(moved))
            .execute() == 1;
      });
    } catch (DataAccessException e) {
      if (UNIQUE_VIOLATION.equals(e.sqlState())) {
        return false; // the same reservation, made at the same moment: the slow path reads what it was
      }
      throw e;
    }
  }

  /**
   * Gives back what an order holds of a SKU: reserved units, or sold ones of a cancelled order, return to
   * available. Once: a repeat, or a release of nothing, changes nothing (and stops a later reserve).
   */
  public void release(long orderId, String sku, int quantity) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    db.shardOfKey(sku).transaction(tx -> {
      int tombstone = tx.insertInto(INVENTORY_RESERVATIONS)
          .set(INVENTORY_RESERVATIONS.ORDER_ID, orderId)
          .set(INVENTORY_RESERVATIONS.SKU, sku)
          .set(INVENTORY_RESERVATIONS.QUANTITY, 0)
          .set(INVENTORY_RESERVATIONS.STATE, RELEASED)
          .set(INVENTORY_RESERVATIONS.CREATED_AT, now)
          .set(INVENTORY_RESERVATIONS.UPDATED_AT, now)
          .onConflictDoNothing()
          .execute();
      if (tombstone == 1) {
        return null; // nothing was ever reserved
      }
      InventoryReservationsRecord held = lock(tx, orderId, sku);
      if (held.getState().equals(RELEASED)) {
        return null; // released before
      }
      // Reserved units of a running order, or sold units of a cancelled one, go back to available.
      Field<Long> heldAs = held.getState().equals(SOLD) ? INVENTORY.SOLD : INVENTORY.RESERVED;
      long units = held.getQuantity();
      tx.update(INVENTORY)
          .set(INVENTORY.AVAILABLE, INVENTORY.AVAILABLE.plus(units))
          .set(heldAs, heldAs.minus(units))
          .set(INVENTORY.UPDATED_AT, now)
          .where(INVENTORY.SKU.eq(sku))
          .execute();
      setState(tx, orderId, sku, RELEASED, now);
      return null;
    });
  }

  /** Turns an order's reserved units of a SKU into sold ones, once: one statement, so atomic in one round trip. */
  public void confirm(long orderId, String sku) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    db.shardOfKey(sku).read(dsl -> {
      CommonTableExpression<InventoryReservationsRecord> sold = DSL.name("r").as(dsl.update(INVENTORY_RESERVATIONS)
          .set(INVENTORY_RESERVATIONS.STATE, SOLD)
          .set(INVENTORY_RESERVATIONS.UPDATED_AT, now)
          .where(INVENTORY_RESERVATIONS.ORDER_ID.eq(orderId), INVENTORY_RESERVATIONS.SKU.eq(sku),
              INVENTORY_RESERVATIONS.STATE.eq(RESERVED))
          .returning());
      Field<Long> units = sold.field(INVENTORY_RESERVATIONS.QUANTITY).cast(SQLDataType.BIGINT);
      int moved = dsl.with(sold).update(INVENTORY)
          .set(INVENTORY.RESERVED, INVENTORY.RESERVED.minus(units))
          .set(INVENTORY.SOLD, INVENTORY.SOLD.plus(units))
          .set(INVENTORY.UPDATED_AT, now)
          .from(sold)
          .where(INVENTORY.SKU.eq(sku))
          .execute();
      if (moved == 0) {
        // Nothing reserved to sell: confirmed before (a repeat), or a bug if the order never held the SKU.
        String state = dsl.select(INVENTORY_RESERVATIONS.STATE).from(INVENTORY_RESERVATIONS)
            .where(INVENTORY_RESERVATIONS.ORDER_ID.eq(orderId), INVENTORY_RESERVATIONS.SKU.eq(sku))
            .fetchOne(INVENTORY_RESERVATIONS.STATE);
        if (!SOLD.equals(state)) {
          throw new IllegalStateException("order " + orderId + " holds no reservation of " + sku + " to confirm");
        }
      }
      return null;
    });
  }

  private static InventoryReservationsRecord lock(DSLContext tx, long orderId, String sku) {
    return tx.selectFrom(INVENTORY_RESERVATIONS)
        .where(INVENTORY_RESERVATIONS.ORDER_ID.eq(orderId), INVENTORY_RESERVATIONS.SKU.eq(sku))
        .forUpdate()
        .fetchOne();
  }

  private static void setState(DSLContext tx, long orderId, String sku, String state, OffsetDateTime now) {
    tx.update(INVENTORY_RESERVATIONS)
        .set(INVENTORY_RESERVATIONS.STATE, state)
        .set(INVENTORY_RESERVATIONS.UPDATED_AT, now)
        .where(INVENTORY_RESERVATIONS.ORDER_ID.eq(orderId), INVENTORY_RESERVATIONS.SKU.eq(sku))
        .execute();
  }

  public static NotFoundException notFound(String sku) {
    return new NotFoundException(RESOURCE_TYPE, "inventory/" + sku);
  }

  private static Stock toStock(InventoryRecord r) {
    return new Stock(r.getSku(), r.getAvailable(), r.getReserved(), r.getSold(), r.getUnitPriceCents());
  }

  /**
   * What a reservation found.
   *
   * @param available for OUT_OF_STOCK: how many units were free
   */
  public record Reservation(Outcome outcome, long available) {
    /** The kinds of answer. */
    public enum Outcome {
      /** The units are held for the order (now, or since an earlier call). */
      RESERVED,
      /** Fewer units are free than asked; nothing was reserved. */
      OUT_OF_STOCK,
      /** No such SKU; nothing was reserved. */
      UNKNOWN_SKU,
      /** The order released this SKU before (its saga compensated); nothing was reserved. */
      RELEASED
    }

    static Reservation reserved() {
      return new Reservation(Outcome.RESERVED, 0);
    }

    static Reservation outOfStock(long available) {
      return new Reservation(Outcome.OUT_OF_STOCK, available);
    }

    static Reservation unknownSku() {
      return new Reservation(Outcome.UNKNOWN_SKU, 0);
    }

    static Reservation released() {
      return new Reservation(Outcome.RELEASED, 0);
    }
  }

  /** Rolls back a reservation that found too little; carries the answer out of the transaction. */
  private static final class Refused extends RuntimeException {
    final Reservation reservation;

    Refused(Reservation reservation) {
      super(null, null, false, false);
      this.reservation = reservation;
    }
  }
}
