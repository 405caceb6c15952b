package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.rules.OrderAccessRules;
import dev.trellis.order.store.jooq.tables.records.OrdersRecord;
import dev.trellis.platform.data.PointReads;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.error.NotFoundException;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.impl.DSL;

/**
 * Reads orders; they are written by their saga ({@link SagaJournal}). An order lives on the shard of its user, so
 * reading one order, or one user's orders, touches one shard.
 */
public final class OrderStore {
  private final ShardedDatabase db;
  private final PageTokenCodec pageTokens;
  /** Reads by id, batched per shard under load. */
  private final PointReads<OrdersRecord> byId;

  public OrderStore(ShardedDatabase db, PageTokenCodec pageTokens) {
    this.db = requireNonNull(db, "db");
    this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    this.byId = db.pointReads(ORDERS, ORDERS.ID);
  }

  /**
   * The order with this id, if there is one. None found on a shard that no longer owns the order's bucket (this
   * replica's directory lags a move by more than the source grace) is UNAVAILABLE, retryable, not a false "none".
   */
  public Optional<StoredOrder> find(long id) {
    return byId.fetch(id).map(OrderRows::toOrder);
  }

  /**
   * The order with this id.
   *
   * @throws NotFoundException when there is none
   */
  public StoredOrder get(long id) {
    return find(id).orElseThrow(() -> notFound(id));
  }

  /**
   * One page of a user's orders, newest first, after the page {@code pageToken} stands for.
   *
   * @param pageSize at least 1
   * @throws dev.trellis.platform.error.InvalidArgumentException on field {@code page_token}
   */
  public OrderPage list(long userId, int pageSize, String pageToken) {
    requireNonNull(pageToken, "pageToken");
    if (pageSize < 1) {
      throw new IllegalArgumentException("pageSize must be >= 1");
    }
    String scope = "orders-of:" + userId;
    Condition after = pageToken.isEmpty() ? DSL.noCondition() : ORDERS.ID.lt(pageTokens.decode(pageToken, scope));
    // Ids grow with time: descending id is newest first, and the index (user_id, id DESC) serves it.
    // Empty only on the owner of the user's bucket: not a false "no orders" from a shard the bucket left.
    List<StoredOrder> rows = db.fetchById(userId, dsl -> dsl.selectFrom(ORDERS)
            .where(ORDERS.USER_ID.eq(userId), after)
            .orderBy(ORDERS.ID.desc())
            .limit(pageSize + 1))
        .map(OrderRows::toOrder);
    if (rows.size() <= pageSize) {
      return new OrderPage(rows, Optional.empty());
    }
    List<StoredOrder> page = rows.subList(0, pageSize);
    return new OrderPage(page, Optional.of(pageTokens.encode(page.getLast().id(), scope)));
  }

  private static NotFoundException notFound(long id) {
    return OrderAccessRules.notFound(id);
  }

  /**
   * One page of orders.
   *
   * @param nextPageToken present when more orders follow
   */
  public record OrderPage(List<StoredOrder> orders, Optional<String> nextPageToken) {
    public OrderPage {
      orders = List.copyOf(orders);
      requireNonNull(nextPageToken, "nextPageToken");
    }
  }
}
