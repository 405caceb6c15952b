package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_EVENTS;

import dev.trellis.order.rules.ShippingAddress;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.trellis.order.store.jooq.tables.records.OrderEventsRecord;
import dev.trellis.order.store.jooq.tables.records.OrdersRecord;
import org.jooq.CommonTableExpression;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * Reads orders from rows of {@code orders} and of {@code order_events} (which copies the order's columns under the
 * same names), and appends to the outbox, always in the statement of the change it records, so an event exists
 * exactly when its change committed.
 */
final class OrderRows {
  /** The columns of orders, and the same-named columns of order_events they are copied to. */
  private static final List<Field<?>> ORDER_FIELDS = List.of(ORDERS.fields());
  private static final List<Field<?>> EVENT_FIELDS =
      ORDER_FIELDS.stream().<Field<?>>map(f -> ORDER_EVENTS.field(f.getName())).toList();

  private OrderRows() {}

  /**
   * The outbox insert of an order change, as a part of the statement that makes the change: the rows that
   * {@code orders} (an INSERT or UPDATE of orders ... RETURNING *) wrote, copied as they now are.
   */
  static CommonTableExpression<OrderEventsRecord> eventOf(DSLContext dsl,
      CommonTableExpression<OrdersRecord> orders) {
    return DSL.name("e").as(dsl.insertInto(ORDER_EVENTS).columns(EVENT_FIELDS)
        .select(DSL.select(ORDER_FIELDS.stream().map(orders::field).toList()).from(orders))
        .returning(ORDER_EVENTS.SEQ));
  }

  /** An order from a row of orders or order_events. */
  static StoredOrder toOrder(Record r) {
    String[] skus = r.get(ORDERS.SKUS.getName(), String[].class);
    Integer[] quantities = r.get(ORDERS.QUANTITIES.getName(), Integer[].class);
    Long[] prices = r.get(ORDERS.UNIT_PRICES.getName(), Long[].class);
    List<OrderLine> lines = new ArrayList<>(skus.length);
    for (int i = 0; i < skus.length; i++) {
      lines.add(new OrderLine(skus[i], quantities[i], prices[i]));
    }
    ShippingAddress address = new ShippingAddress(
        r.get(ORDERS.SHIP_RECIPIENT.getName(), String.class),
        r.get(ORDERS.SHIP_LINE1.getName(), String.class),
        r.get(ORDERS.SHIP_LINE2.getName(), String.class),
        r.get(ORDERS.SHIP_CITY.getName(), String.class),
        r.get(ORDERS.SHIP_POSTAL_CODE.getName(), String.class),
        r.get(ORDERS.SHIP_COUNTRY.getName(), String.class));
    return new StoredOrder(
        r.get(ORDERS.ID.getName(), Long.class),
        r.get(ORDERS.USER_ID.getName(), Long.class),
        OrderStatus.valueOf(r.get(ORDERS.STATUS.getName(), String.class)),
        r.get(ORDERS.REASON.getName(), String.class),
        lines,
        r.get(ORDERS.TOTAL_CENTS.getName(), Long.class),
        r.get(ORDERS.CURRENCY.getName(), String.class),
        address,
        r.get(ORDERS.PAYMENT_ID.getName(), String.class),
        r.get(ORDERS.SHIPMENT_ID.getName(), String.class),
        r.get(ORDERS.VERSION.getName(), Long.class),
        r.get(ORDERS.CREATED_AT.getName(), OffsetDateTime.class).toInstant(),
        r.get(ORDERS.UPDATED_AT.getName(), OffsetDateTime.class).toInstant());
  }

  static String[] skus(List<OrderLine> lines) {
    return lines.stream().map(OrderLine::sku).toArray(String[]::new);
  }

  static Integer[] quantities(List<OrderLine> lines) {
    return lines.stream().map(OrderLine::quantity).toArray(Integer[]::new);
  }

  static Long[] prices(List<OrderLine> lines) {
    return lines.stream().map(OrderLine::unitPriceCents).toArray(Long[]::new);
  }

  /** The time on {@code clock} as PostgreSQL keeps a timestamptz: to the microsecond, so what is read back is equal. */
  static OffsetDateTime databaseNow(Clock clock) {
    return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  static List<String> list(String[] values) {
    return values == null ? List.of() : Arrays.asList(values);
  }
}
