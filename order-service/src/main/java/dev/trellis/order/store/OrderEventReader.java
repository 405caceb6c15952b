package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.ORDER_EVENTS;

import dev.trellis.order.store.jooq.tables.records.OrderEventsRecord;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.events.OutboxTable;

/** The order_events outbox of every order shard, read for WatchOrder and TrackOrders (see {@link OutboxTable}). */
public final class OrderEventReader {
  private OrderEventReader() {}

  public static OutboxTable<OrderEventsRecord, OrderEvent> of(ShardedDatabase db) {
    return OutboxTable.of(db, ORDER_EVENTS, ORDER_EVENTS.SEQ, ORDER_EVENTS.TXID, ORDER_EVENTS.EVENT_AT,
        r -> new OrderEvent(OrderRows.toOrder(r), r.getEventAt().toInstant())).withBucketOf(ORDER_EVENTS.ID);
  }
}
