package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.IDEMPOTENCY_KEYS;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.store.jooq.tables.records.OrdersRecord;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.UpdateSetMoreStep;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Every write of a saga, each in one transaction on the order's shard with the local effect it records: the order
 * and its saga and idempotency key and first event when the saga begins; the saga row with the order's visible
 * change and its event after each step; the saga row after each compensation; the final states of saga and order
 * with their event at the end.
 *
 * <p>Leases: a saga is driven by the replica named in {@code lease_owner} until {@code lease_until} (database time,
 * so replicas' clocks do not matter). Every write by the driver renews the lease and is conditional on still holding
 * it; a write that finds the lease gone throws {@link LeaseLostException} and changes nothing, so two replicas never
 * both advance one saga. A replica takes over sagas whose lease ran out ({@link #claimExpired}).
 */
public final class SagaJournal {
  /** The currency of every order; prices in inventory are in it. */
  public static final String CURRENCY = "USD";
  private static final List<String> UNFINISHED = List.of(
      SagaStatus.PENDING.name(), SagaStatus.IN_PROGRESS.name(), SagaStatus.COMPENSATING.name());

  private final ShardedDatabase db;
  private final Clock clock;
  private final String owner;
  private final Field<OffsetDateTime> leaseEnd;

  /**
   * @param owner this replica's name in lease_owner: unique per process
   * @param lease how long a write keeps the saga this replica's
   */
  public SagaJournal(ShardedDatabase db, Clock clock, String owner, Duration lease) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
    this.owner = requireNonNull(owner, "owner");
    this.leaseEnd = DSL.field("now() + {0} * interval '1 millisecond'", SQLDataType.TIMESTAMPWITHTIMEZONE,
        DSL.val(requireNonNull(lease, "lease").toMillis()));
  }

  /** This replica's name in the leases it holds. */
  public String owner() {
    return owner;
  }

  /**
   * Stores a PENDING order with its saga, leased to this replica, IN_PROGRESS with {@code completed} done and
   * {@code nextStep} to run, its idempotency key and its first event, in one transaction on the user's shard. The
   * order id is made in the user's bucket.
   *
   * @throws IdempotencyKeyTakenException when the key exists: nothing is stored
   */
  public SagaRecord begin(OrderDraft draft, SagaContext context, List<String> completed, String nextStep) {
    return insert(draft, OrderStatus.PENDING, "", SagaStatus.IN_PROGRESS, context, completed, nextStep, true);
  }

  /**
   * Stores an order that is REJECTED from the start (its user is unknown) with its FAILED saga, its idempotency key
   * and its event: the answer is kept like any other, and a repeat replays it.
   *
   * @throws IdempotencyKeyTakenException when the key exists: nothing is stored
   */
  public StoredOrder beginRejected(OrderDraft draft, SagaContext context, String reason) {
    return insert(draft, OrderStatus.REJECTED, reason, SagaStatus.FAILED, context, List.of(), "", false).order();
  }

  private SagaRecord insert(OrderDraft draft, OrderStatus status, String reason, SagaStatus sagaStatus,
      SagaContext context, List<String> completed, String nextStep, boolean leased) {
    int bucket = ShardId.bucketOf(draft.userId());
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return db.shardOfBucket(bucket).transaction(tx -> {
      long id = Shard.nextId(tx, bucket);
      OrdersRecord order = tx.insertInto(ORDERS)
          .set(ORDERS.ID, id)
          .set(ORDERS.USER_ID, draft.userId())
          .set(ORDERS.STATUS, status.name())
          .set(ORDERS.REASON, reason)
          .set(ORDERS.SKUS, OrderRows.skus(draft.lines()))
          .set(ORDERS.QUANTITIES, OrderRows.quantities(draft.lines()))
          .set(ORDERS.UNIT_PRICES, OrderRows.prices(draft.lines()))
          .set(ORDERS.TOTAL_CENTS, draft.totalCents())
          .set(ORDERS.CURRENCY, CURRENCY)
          .set(ORDERS.SHIP_RECIPIENT, draft.address().recipient())
          .set(ORDERS.SHIP_LINE1, draft.address().line1())
          .set(ORDERS.SHIP_LINE2, draft.address().line2())
          .set(ORDERS.SHIP_CITY, draft.address().city())
          .set(ORDERS.SHIP_POSTAL_CODE, draft.address().postalCode())
          .set(ORDERS.SHIP_COUNTRY, draft.address().countryCode())
          .set(ORDERS.CREATED_AT, now)
          .set(ORDERS.UPDATED_AT, now)
          .returning()
          .fetchSingle();
      OrderSagasRecord saga = tx.insertInto(ORDER_SAGAS)
          .set(ORDER_SAGAS.ORDER_ID, id)
          .set(ORDER_SAGAS.STATUS, sagaStatus.name())
          .set(ORDER_SAGAS.CURRENT_STEP, nextStep)
          .set(ORDER_SAGAS.COMPLETED_STEPS, completed.toArray(String[]::new))
          .set(ORDER_SAGAS.CONTEXT, context.toJsonb())
          .set(ORDER_SAGAS.FAILURE, reason)
          .set(ORDER_SAGAS.LEASE_OWNER, leased ? owner : null)
          .set(ORDER_SAGAS.LEASE_UNTIL, leased ? leaseEnd : DSL.inline(null, SQLDataType.TIMESTAMPWITHTIMEZONE))
          .set(ORDER_SAGAS.CREATED_AT, now)
          .set(ORDER_SAGAS.UPDATED_AT, now)
          .returning()
          .fetchSingle();
      int keys = tx.insertInto(IDEMPOTENCY_KEYS)
          .set(IDEMPOTENCY_KEYS.USER_ID, draft.userId())
          .set(IDEMPOTENCY_KEYS.IDEMPOTENCY_KEY, draft.idempotencyKey())
          .set(IDEMPOTENCY_KEYS.REQUEST_HASH, draft.requestHash())
          .set(IDEMPOTENCY_KEYS.ORDER_ID, id)
          .set(IDEMPOTENCY_KEYS.CREATED_AT, now)
          .onConflictDoNothing()
          .execute();
      if (keys == 0) {
        throw new IdempotencyKeyTakenException(draft.userId(), draft.idempotencyKey()); // rolls it all back
      }
      OrderRows.appendEvent(tx, id);
      return new SagaRecord(OrderRows.toOrder(order), toSaga(saga));
    });
  }

  /** The order and its saga, if the order exists. */
  public Optional<SagaRecord> load(long orderId) {
    return db.shardOfId(orderId).read(dsl -> Optional.ofNullable(
        dsl.select().from(ORDERS.join(ORDER_SAGAS).on(ORDER_SAGAS.ORDER_ID.eq(ORDERS.ID)))
            .where(ORDERS.ID.eq(orderId))
            .fetchOne()))
        .map(r -> new SagaRecord(OrderRows.toOrder(r.into(ORDERS)), toSaga(r.into(ORDER_SAGAS))));
  }

  /**
   * Records a completed step, renewing the lease: its result in the context, the next step, and the order's
   * visible change (with an event) when there is one. The returned saga carries a cancellation requested meanwhile.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord stepCompleted(SagaRecord record, String step, Map<String, String> result,
      String nextStep, OrderChange change) {
    long id = record.order().id();
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return db.shardOfId(id).transaction(tx -> {
      OrderSagasRecord saga = updateLeased(tx, record.saga(), SagaStatus.IN_PROGRESS, u -> u
          .set(ORDER_SAGAS.COMPLETED_STEPS, DSL.arrayAppend(ORDER_SAGAS.COMPLETED_STEPS, DSL.val(step)))
          .set(ORDER_SAGAS.CONTEXT, DSL.field("{0} || {1}", ORDER_SAGAS.CONTEXT.getDataType(), ORDER_SAGAS.CONTEXT,
              DSL.val(SagaContext.entryJsonb(step, result))))
          .set(ORDER_SAGAS.CURRENT_STEP, nextStep)
          .set(ORDER_SAGAS.UPDATED_AT, now));
      StoredOrder order = record.order();
      if (!change.isEmpty()) {
        var update = tx.update(ORDERS)
            .set(ORDERS.VERSION, ORDERS.VERSION.plus(1))
            .set(ORDERS.UPDATED_AT, now);
        if (change.paymentId().isPresent()) {
          update = update.set(ORDERS.PAYMENT_ID, change.paymentId().get());
        }
        if (change.shipmentId().isPresent()) {
          update = update.set(ORDERS.SHIPMENT_ID, change.shipmentId().get());
        }
        order = OrderRows.toOrder(update.where(ORDERS.ID.eq(id)).returning().fetchSingle());
        OrderRows.appendEvent(tx, id);
      }
      return new SagaRecord(order, toSaga(saga));
    });
  }

  /**
   * Turns the saga to compensation: why, and which steps to undo in which order.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord beginCompensation(SagaRecord record, String failure, List<String> plan) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return record.with(toSaga(db.shardOfId(record.order().id()).transaction(tx ->
        updateLeased(tx, record.saga(), SagaStatus.IN_PROGRESS, u -> u
            .set(ORDER_SAGAS.STATUS, SagaStatus.COMPENSATING.name())
            .set(ORDER_SAGAS.FAILURE, failure)
            .set(ORDER_SAGAS.COMPENSATION_PLAN, plan.toArray(String[]::new))
            .set(ORDER_SAGAS.CURRENT_STEP, plan.isEmpty() ? "" : plan.getFirst())
            .set(ORDER_SAGAS.UPDATED_AT, now)))));
  }

  /**
   * Records a completed compensation and the next one (empty when none is left).
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord stepCompensated(SagaRecord record, String step, String nextStep) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return record.with(toSaga(db.shardOfId(record.order().id()).transaction(tx ->
        updateLeased(tx, record.saga(), SagaStatus.COMPENSATING, u -> u
            .set(ORDER_SAGAS.COMPENSATED_STEPS, DSL.arrayAppend(ORDER_SAGAS.COMPENSATED_STEPS, DSL.val(step)))
            .set(ORDER_SAGAS.CURRENT_STEP, nextStep)
            .set(ORDER_SAGAS.UPDATED_AT, now)))));
  }

  /**
   * Ends a saga whose steps all completed: saga COMPLETED, order CONFIRMED, an event. Empty, and nothing written,
   * when a cancellation was requested meanwhile: then the saga must compensate instead.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public Optional<SagaRecord> complete(SagaRecord record) {
    long id = record.order().id();
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return db.shardOfId(id).transaction(tx -> {
      OrderSagasRecord saga = tx.update(ORDER_SAGAS)
          .set(ORDER_SAGAS.STATUS, SagaStatus.COMPLETED.name())
          .set(ORDER_SAGAS.CURRENT_STEP, "")
          .setNull(ORDER_SAGAS.LEASE_OWNER)
          .setNull(ORDER_SAGAS.LEASE_UNTIL)
          .set(ORDER_SAGAS.UPDATED_AT, now)
          .where(ORDER_SAGAS.ORDER_ID.eq(id), ORDER_SAGAS.LEASE_OWNER.eq(owner),
              ORDER_SAGAS.STATUS.eq(SagaStatus.IN_PROGRESS.name()), ORDER_SAGAS.CANCEL_REASON.isNull())
          .returning()
          .fetchOne();
      if (saga == null) {
        OrderSagasRecord current = tx.selectFrom(ORDER_SAGAS).where(ORDER_SAGAS.ORDER_ID.eq(id)).fetchSingle();
        if (owner.equals(current.getLeaseOwner()) && current.getCancelReason() != null) {
          return Optional.<SagaRecord>empty();
        }
        throw new LeaseLostException(record.saga().sagaId());
      }
      return Optional.of(new SagaRecord(finishOrder(tx, id, OrderStatus.CONFIRMED, "", now), toSaga(saga)));
    });
  }

  /**
   * Ends a saga whose compensation is done: saga FAILED, order CANCELLED (when it was cancelled) or REJECTED, with
   * the failure as its reason, and an event.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord fail(SagaRecord record) {
    long id = record.order().id();
    OffsetDateTime now = OrderRows.databaseNow(clock);
    StoredSaga current = record.saga();
    OrderStatus status = current.cancelReason().isPresent() ? OrderStatus.CANCELLED : OrderStatus.REJECTED;
    return db.shardOfId(id).transaction(tx -> {
      OrderSagasRecord saga = updateLeased(tx, current, SagaStatus.COMPENSATING, u -> u
          .set(ORDER_SAGAS.STATUS, SagaStatus.FAILED.name())
          .set(ORDER_SAGAS.CURRENT_STEP, "")
          .setNull(ORDER_SAGAS.LEASE_OWNER)
          .setNull(ORDER_SAGAS.LEASE_UNTIL)
          .set(ORDER_SAGAS.UPDATED_AT, now));
      return new SagaRecord(finishOrder(tx, id, status, current.failure(), now), toSaga(saga));
    });
  }

  /**
   * Keeps the saga this replica's for another lease period (between the attempts of a long compensation).
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public void renewLease(StoredSaga saga) {
    int renewed = db.shardOfId(saga.orderId()).read(dsl -> dsl.update(ORDER_SAGAS)
        .set(ORDER_SAGAS.LEASE_UNTIL, leaseEnd)
        .where(ORDER_SAGAS.ORDER_ID.eq(saga.orderId()), ORDER_SAGAS.LEASE_OWNER.eq(owner),
            ORDER_SAGAS.STATUS.in(UNFINISHED))
        .execute());
    if (renewed == 0) {
      throw new LeaseLostException(saga.sagaId());
    }
  }

  /** Gives a saga up without ending it (this replica stops): another replica may take it over at once. */
  public void releaseLease(StoredSaga saga) {
    db.shardOfId(saga.orderId()).read(dsl -> dsl.update(ORDER_SAGAS)
        .setNull(ORDER_SAGAS.LEASE_OWNER)
        .set(ORDER_SAGAS.LEASE_UNTIL, DSL.currentOffsetDateTime())
        .where(ORDER_SAGAS.ORDER_ID.eq(saga.orderId()), ORDER_SAGAS.LEASE_OWNER.eq(owner))
        .execute());
  }

  /**
   * Takes over at most {@code limit} unfinished sagas on one shard whose lease ran out (their replica died or
   * stopped), leasing them to this replica; rows another replica is claiming right now are skipped.
   *
   * @return the order ids taken over
   */
  public List<Long> claimExpired(int shard, int limit) {
    return db.shard(shard).read(dsl -> dsl.update(ORDER_SAGAS)
        .set(ORDER_SAGAS.LEASE_OWNER, owner)
        .set(ORDER_SAGAS.LEASE_UNTIL, leaseEnd)
        .where(ORDER_SAGAS.ORDER_ID.in(DSL.select(ORDER_SAGAS.ORDER_ID).from(ORDER_SAGAS)
            .where(ORDER_SAGAS.STATUS.in(UNFINISHED),
                ORDER_SAGAS.LEASE_UNTIL.isNull().or(ORDER_SAGAS.LEASE_UNTIL.lt(DSL.currentOffsetDateTime())))
            .orderBy(ORDER_SAGAS.LEASE_UNTIL.asc().nullsFirst())
            .limit(limit)
            .forUpdate()
            .skipLocked()),
            ORDER_SAGAS.STATUS.in(UNFINISHED))
        .returning(ORDER_SAGAS.ORDER_ID)
        .fetch(ORDER_SAGAS.ORDER_ID));
  }

  /** What a cancellation request did to a saga. */
  public enum Cancellation {
    /** The running saga will stop at its next step boundary and compensate. */
    REQUESTED,
    /** The saga had completed; it is now compensating, leased to this replica, which must drive it. */
    COMPENSATE_NOW,
    /** Nothing to do: the saga compensates or has ended already, or a cancellation was requested before. */
    NOTHING
  }

  /**
   * Asks an order's saga to stop: a running one at its next step boundary (its driver, whichever replica, sees
   * the request with its next write); a completed one is turned to compensation at once, following
   * {@code planOf(completed steps)}, leased to this replica.
   */
  public Cancellation requestCancel(long orderId, String reason, UnaryOperator<List<String>> planOf) {
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return db.shardOfId(orderId).transaction(tx -> {
      OrderSagasRecord saga = tx.selectFrom(ORDER_SAGAS).where(ORDER_SAGAS.ORDER_ID.eq(orderId)).forUpdate()
          .fetchOne();
      if (saga == null || saga.getCancelReason() != null) {
        return Cancellation.NOTHING;
      }
      SagaStatus status = SagaStatus.valueOf(saga.getStatus());
      if (status == SagaStatus.PENDING || status == SagaStatus.IN_PROGRESS) {
        saga.setCancelReason(reason);
        saga.setUpdatedAt(now);
        saga.store();
        return Cancellation.REQUESTED;
      }
      if (status != SagaStatus.COMPLETED) {
        return Cancellation.NOTHING;
      }
      List<String> plan = planOf.apply(OrderRows.list(saga.getCompletedSteps()));
      tx.update(ORDER_SAGAS)
          .set(ORDER_SAGAS.STATUS, SagaStatus.COMPENSATING.name())
          .set(ORDER_SAGAS.CANCEL_REASON, reason)
          .set(ORDER_SAGAS.FAILURE, reason)
          .set(ORDER_SAGAS.COMPENSATION_PLAN, plan.toArray(String[]::new))
          .set(ORDER_SAGAS.CURRENT_STEP, plan.isEmpty() ? "" : plan.getFirst())
          .set(ORDER_SAGAS.LEASE_OWNER, owner)
          .set(ORDER_SAGAS.LEASE_UNTIL, leaseEnd)
          .set(ORDER_SAGAS.UPDATED_AT, now)
          .where(ORDER_SAGAS.ORDER_ID.eq(orderId))
          .execute();
      return Cancellation.COMPENSATE_NOW;
    });
  }

  /**
   * Updates this replica's saga in {@code expected} status, renewing the lease.
   *
   * @throws LeaseLostException when the saga is not this replica's (or not in that status) any more
   */
  private OrderSagasRecord updateLeased(DSLContext tx, StoredSaga saga, SagaStatus expected,
      UnaryOperator<UpdateSetMoreStep<OrderSagasRecord>> changes) {
    OrderSagasRecord row = changes.apply(tx.update(ORDER_SAGAS).set(ORDER_SAGAS.LEASE_UNTIL, leaseEnd))
        .where(ORDER_SAGAS.ORDER_ID.eq(saga.orderId()), ORDER_SAGAS.LEASE_OWNER.eq(owner),
            ORDER_SAGAS.STATUS.eq(expected.name()))
        .returning()
        .fetchOne();
    if (row == null) {
      throw new LeaseLostException(saga.sagaId());
    }
    return row;
  }

  private static StoredOrder finishOrder(DSLContext tx, long id, OrderStatus status, String reason,
      OffsetDateTime now) {
    OrdersRecord order = tx.update(ORDERS)
        .set(ORDERS.STATUS, status.name())
        .set(ORDERS.REASON, reason)
        .set(ORDERS.VERSION, ORDERS.VERSION.plus(1))
        .set(ORDERS.UPDATED_AT, now)
        .where(ORDERS.ID.eq(id))
        .returning()
        .fetchSingle();
    OrderRows.appendEvent(tx, id);
    return OrderRows.toOrder(order);
  }

  static StoredSaga toSaga(Record record) {
    OrderSagasRecord r = record.into(ORDER_SAGAS);
    return new StoredSaga(r.getOrderId(), SagaStatus.valueOf(r.getStatus()), r.getCurrentStep(),
        OrderRows.list(r.getCompletedSteps()), OrderRows.list(r.getCompensationPlan()),
        OrderRows.list(r.getCompensatedSteps()), SagaContext.fromJsonb(r.getContext()), r.getFailure(),
        Optional.ofNullable(r.getCancelReason()));
  }
}
