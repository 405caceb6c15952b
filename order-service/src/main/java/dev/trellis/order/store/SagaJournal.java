package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.IDEMPOTENCY_KEYS;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.jooq.tables.records.IdempotencyKeysRecord;
import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.store.jooq.tables.records.OrdersRecord;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.jooq.CommonTableExpression;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.UpdateResultStep;
import org.jooq.UpdateSetMoreStep;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Every write of a saga, each atomic on the order's shard with the local effect it records: the order and its saga
 * and idempotency key and first event when the saga begins; the saga row with the order's visible change and its
 * event after each step; the saga row after each compensation; the final states of saga and order with their event
 * at the end. Each is a single statement (data-modifying CTEs), so atomic without a transaction and one round trip:
 * a saga makes a dozen of them, and round trips are most of its cost.
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

  private static final org.jooq.Condition OWNED_BUCKET = DSL.condition(
      "trellis_bucket_of_id({0}) IN (SELECT bucket FROM trellis_bucket_owner)", ORDER_SAGAS.ORDER_ID);

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

  /**
   * One statement, so one round trip and atomic without a transaction: the key first (its order id made by
   * {@code trellis_next_id} in the user's bucket), then the order, its saga and its event only if the key was new.
   * Foreign keys are checked at the end of the statement, when every row is there.
   */
  private SagaRecord insert(OrderDraft draft, OrderStatus status, String reason, SagaStatus sagaStatus,
      SagaContext context, List<String> completed, String nextStep, boolean leased) {
    int bucket = ShardId.bucketOf(draft.userId());
    OffsetDateTime now = OrderRows.databaseNow(clock);
    return db.shardOfBucket(bucket).read(dsl -> {
      CommonTableExpression<IdempotencyKeysRecord> key = DSL.name("k").as(dsl.insertInto(IDEMPOTENCY_KEYS)
          .set(IDEMPOTENCY_KEYS.USER_ID, draft.userId())
          .set(IDEMPOTENCY_KEYS.IDEMPOTENCY_KEY, draft.idempotencyKey())
          .set(IDEMPOTENCY_KEYS.REQUEST_HASH, draft.requestHash())
          .set(IDEMPOTENCY_KEYS.ORDER_ID, DSL.function("trellis_next_id", SQLDataType.BIGINT, DSL.val(bucket)))
          .set(IDEMPOTENCY_KEYS.CREATED_AT, now)
          .onConflictDoNothing()
          .returning());
      Map<Field<?>, Field<?>> order = new LinkedHashMap<>();
      order.put(ORDERS.ID, key.field(IDEMPOTENCY_KEYS.ORDER_ID));
      order.put(ORDERS.USER_ID, DSL.val(draft.userId(), ORDERS.USER_ID));
      order.put(ORDERS.STATUS, DSL.val(status.name(), ORDERS.STATUS));
      order.put(ORDERS.REASON, DSL.val(reason, ORDERS.REASON));
      order.put(ORDERS.SKUS, DSL.val(OrderRows.skus(draft.lines()), ORDERS.SKUS));
      order.put(ORDERS.QUANTITIES, DSL.val(OrderRows.quantities(draft.lines()), ORDERS.QUANTITIES));
      order.put(ORDERS.UNIT_PRICES, DSL.val(OrderRows.prices(draft.lines()), ORDERS.UNIT_PRICES));
      order.put(ORDERS.TOTAL_CENTS, DSL.val(draft.totalCents(), ORDERS.TOTAL_CENTS));
      order.put(ORDERS.CURRENCY, DSL.val(CURRENCY, ORDERS.CURRENCY));
      order.put(ORDERS.SHIP_RECIPIENT, DSL.val(draft.address().recipient(), ORDERS.SHIP_RECIPIENT));
      order.put(ORDERS.SHIP_LINE1, DSL.val(draft.address().line1(), ORDERS.SHIP_LINE1));
      order.put(ORDERS.SHIP_LINE2, DSL.val(draft.address().line2(), ORDERS.SHIP_LINE2));
      order.put(ORDERS.SHIP_CITY, DSL.val(draft.address().city(), ORDERS.SHIP_CITY));
      order.put(ORDERS.SHIP_POSTAL_CODE, DSL.val(draft.address().postalCode(), ORDERS.SHIP_POSTAL_CODE));
      order.put(ORDERS.SHIP_COUNTRY, DSL.val(draft.address().countryCode(), ORDERS.SHIP_COUNTRY));
      order.put(ORDERS.CREATED_AT, DSL.val(now, ORDERS.CREATED_AT));
      order.put(ORDERS.UPDATED_AT, DSL.val(now, ORDERS.UPDATED_AT));
      CommonTableExpression<OrdersRecord> orders = DSL.name("o").as(dsl.insertInto(ORDERS)
          .columns(order.keySet())
          .select(DSL.select(order.values()).from(key))
          .returning());
      Map<Field<?>, Field<?>> saga = new LinkedHashMap<>();
      saga.put(ORDER_SAGAS.ORDER_ID, orders.field(ORDERS.ID));
      saga.put(ORDER_SAGAS.STATUS, DSL.val(sagaStatus.name(), ORDER_SAGAS.STATUS));
      saga.put(ORDER_SAGAS.CURRENT_STEP, DSL.val(nextStep, ORDER_SAGAS.CURRENT_STEP));
      saga.put(ORDER_SAGAS.COMPLETED_STEPS, DSL.val(completed.toArray(String[]::new), ORDER_SAGAS.COMPLETED_STEPS));
      saga.put(ORDER_SAGAS.CONTEXT, DSL.val(context.toJsonb(), ORDER_SAGAS.CONTEXT));
      saga.put(ORDER_SAGAS.FAILURE, DSL.val(reason, ORDER_SAGAS.FAILURE));
      saga.put(ORDER_SAGAS.LEASE_OWNER, DSL.val(leased ? owner : null, ORDER_SAGAS.LEASE_OWNER));
      saga.put(ORDER_SAGAS.LEASE_UNTIL, leased ? leaseEnd : DSL.val(null, ORDER_SAGAS.LEASE_UNTIL));
      saga.put(ORDER_SAGAS.CREATED_AT, DSL.val(now, ORDER_SAGAS.CREATED_AT));
      saga.put(ORDER_SAGAS.UPDATED_AT, DSL.val(now, ORDER_SAGAS.UPDATED_AT));
      CommonTableExpression<OrderSagasRecord> sagas = DSL.name("s").as(dsl.insertInto(ORDER_SAGAS)
          .columns(saga.keySet())
          .select(DSL.select(saga.values()).from(orders))
          .returning());
      Long id = dsl.with(key, orders, sagas, OrderRows.eventOf(dsl, orders))
          .select(sagas.field(ORDER_SAGAS.ORDER_ID))
          .from(sagas)
          .fetchOne(sagas.field(ORDER_SAGAS.ORDER_ID));
      if (id == null) {
        throw new IdempotencyKeyTakenException(draft.userId(), draft.idempotencyKey());
      }
      // Everything but the id was written from here: no need to read it back.
      return new SagaRecord(
          new StoredOrder(id, draft.userId(), status, reason, draft.lines(), draft.totalCents(), CURRENCY,
              draft.address(), "", "", 1, now.toInstant(), now.toInstant()),
          new StoredSaga(id, sagaStatus, nextStep, completed, List.of(), List.of(), context, reason,
              Optional.empty()));
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
  public SagaRecord stepCompleted(SagaRecord record, String step, Map<String, String> result, String nextStep,
      OrderChange change) {
    StoredOrder order = record.order();
    String paymentId = change.paymentId().orElse(order.paymentId());
    String shipmentId = change.shipmentId().orElse(order.shipmentId());
    return write(record, SagaStatus.IN_PROGRESS, DSL.noCondition(),
        u -> u.set(ORDER_SAGAS.COMPLETED_STEPS, DSL.arrayAppend(ORDER_SAGAS.COMPLETED_STEPS, DSL.val(step)))
            .set(ORDER_SAGAS.CONTEXT, DSL.field("{0} || {1}", ORDER_SAGAS.CONTEXT.getDataType(),
                ORDER_SAGAS.CONTEXT, DSL.val(SagaContext.entryJsonb(step, result), ORDER_SAGAS.CONTEXT)))
            .set(ORDER_SAGAS.CURRENT_STEP, nextStep),
        saga -> saga.stepDone(step, result, nextStep),
        change.isEmpty() ? Optional.empty() : Optional.of(new OrderUpdate(order.status(), order.reason(),
            paymentId, shipmentId)))
        .orElseThrow(() -> new LeaseLostException(record.saga().sagaId()));
  }

  /**
   * Turns the saga to compensation: why, and which steps to undo in which order.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord beginCompensation(SagaRecord record, String failure, List<String> plan) {
    return write(record, SagaStatus.IN_PROGRESS, DSL.noCondition(),
        u -> u.set(ORDER_SAGAS.STATUS, SagaStatus.COMPENSATING.name())
            .set(ORDER_SAGAS.FAILURE, failure)
            .set(ORDER_SAGAS.COMPENSATION_PLAN, plan.toArray(String[]::new))
            .set(ORDER_SAGAS.CURRENT_STEP, plan.isEmpty() ? "" : plan.getFirst()),
        saga -> saga.compensating(failure, plan), Optional.empty())
        .orElseThrow(() -> new LeaseLostException(record.saga().sagaId()));
  }

  /**
   * Records a completed compensation and the next one (empty when none is left).
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord stepCompensated(SagaRecord record, String step, String nextStep) {
    return write(record, SagaStatus.COMPENSATING, DSL.noCondition(),
        u -> u.set(ORDER_SAGAS.COMPENSATED_STEPS, DSL.arrayAppend(ORDER_SAGAS.COMPENSATED_STEPS, DSL.val(step)))
            .set(ORDER_SAGAS.CURRENT_STEP, nextStep),
        saga -> saga.compensationDone(step, nextStep), Optional.empty())
        .orElseThrow(() -> new LeaseLostException(record.saga().sagaId()));
  }

  /**
   * Ends a saga whose steps all completed: saga COMPLETED, order CONFIRMED, an event. Empty, and nothing written,
   * when a cancellation was requested meanwhile: then the saga must compensate instead.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public Optional<SagaRecord> complete(SagaRecord record) {
    StoredOrder order = record.order();
    Optional<SagaRecord> completed = write(record, SagaStatus.IN_PROGRESS, ORDER_SAGAS.CANCEL_REASON.isNull(),
        u -> ended(u, SagaStatus.COMPLETED), saga -> saga.ended(SagaStatus.COMPLETED),
        Optional.of(new OrderUpdate(OrderStatus.CONFIRMED, "", order.paymentId(), order.shipmentId())));
    if (completed.isEmpty()) {
      long id = order.id();
      OrderSagasRecord current = db.shardOfId(id).read(dsl -> dsl.selectFrom(ORDER_SAGAS)
          .where(ORDER_SAGAS.ORDER_ID.eq(id)).fetchSingle());
      if (!owner.equals(current.getLeaseOwner()) || current.getCancelReason() == null) {
        throw new LeaseLostException(record.saga().sagaId());
      }
    }
    return completed;
  }

  /**
   * Ends a saga whose compensation is done: saga FAILED, order CANCELLED (when it was cancelled) or REJECTED, with
   * the failure as its reason, and an event.
   *
   * @throws LeaseLostException when this replica no longer drives the saga
   */
  public SagaRecord fail(SagaRecord record) {
    StoredSaga current = record.saga();
    StoredOrder order = record.order();
    OrderStatus status = current.cancelReason().isPresent() ? OrderStatus.CANCELLED : OrderStatus.REJECTED;
    return write(record, SagaStatus.COMPENSATING, DSL.noCondition(), u -> ended(u, SagaStatus.FAILED),
        saga -> saga.ended(SagaStatus.FAILED),
        Optional.of(new OrderUpdate(status, current.failure(), order.paymentId(), order.shipmentId())))
        .orElseThrow(() -> new LeaseLostException(current.sagaId()));
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
  /** The shards serving now, by index: those a recovery round looks at (shards join and leave while it runs). */
  public List<Integer> shards() {
    return db.shards().stream().map(Shard::index).toList();
  }

  public List<Long> claimExpired(int shard, int limit) {
    return db.shard(shard).read(dsl -> dsl.update(ORDER_SAGAS)
        .set(ORDER_SAGAS.LEASE_OWNER, owner)
        .set(ORDER_SAGAS.LEASE_UNTIL, leaseEnd)
        .where(ORDER_SAGAS.ORDER_ID.in(DSL.select(ORDER_SAGAS.ORDER_ID).from(ORDER_SAGAS)
            .where(ORDER_SAGAS.STATUS.in(UNFINISHED),
                ORDER_SAGAS.LEASE_UNTIL.isNull().or(ORDER_SAGAS.LEASE_UNTIL.lt(DSL.currentOffsetDateTime())),
                // Only buckets this shard owns: a moved bucket's rows stay on the old shard for a grace, and are
                // never taken over there (the fence would refuse the claim, and with it the other sagas').
                OWNED_BUCKET)
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
      // No saga is "nothing to cancel" only on the owner of the order's bucket, not on a shard the bucket left.
      OrderSagasRecord saga = Shard.fetchOptional(tx, ShardId.bucketOf(orderId),
          tx.selectFrom(ORDER_SAGAS).where(ORDER_SAGAS.ORDER_ID.eq(orderId)).forUpdate()).orElse(null);
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
   * Updates this replica's saga in {@code expected} status, renewing the lease, and with {@code orderUpdate} its
   * order (version raised) and an event of it: one statement, so one round trip and atomic. What it wrote is known
   * here and applied in memory ({@code sagaAfter}); only a cancellation, which another call may have requested
   * meanwhile, is read back.
   *
   * @return empty, and nothing written, when the saga is not this replica's in that status (or misses {@code also})
   */
  private Optional<SagaRecord> write(SagaRecord record, SagaStatus expected, Condition also,
      UnaryOperator<UpdateSetMoreStep<OrderSagasRecord>> sagaChange, UnaryOperator<StoredSaga> sagaAfter,
      Optional<OrderUpdate> orderUpdate) {
    long id = record.order().id();
    int bucket = ShardId.bucketOf(id);
    OffsetDateTime now = OrderRows.databaseNow(clock);
    // No saga row updated is a lost lease only on the owner of the order's bucket; on a shard the bucket left (this
    // replica's directory older than the move's source grace) it is UNAVAILABLE "moved", which the runner follows.
    Optional<Optional<String>> cancelReason = db.shardOfBucket(bucket).read(dsl -> {
      UpdateResultStep<OrderSagasRecord> sagaUpdate = sagaChange.apply(dsl.update(ORDER_SAGAS)
              .set(ORDER_SAGAS.LEASE_UNTIL, leaseEnd)
              .set(ORDER_SAGAS.UPDATED_AT, now))
          .where(ORDER_SAGAS.ORDER_ID.eq(id), ORDER_SAGAS.LEASE_OWNER.eq(owner),
              ORDER_SAGAS.STATUS.eq(expected.name()), also)
          .returning(ORDER_SAGAS.CANCEL_REASON);
      if (orderUpdate.isEmpty()) {
        return Shard.fetchOptional(dsl, bucket, sagaUpdate).map(row -> Optional.ofNullable(row.getCancelReason()));
      }
      OrderUpdate update = orderUpdate.get();
      CommonTableExpression<OrderSagasRecord> sagas = DSL.name("s").as(sagaUpdate);
      // Written in any case (PostgreSQL runs every data-modifying part of a WITH once), read back by nobody here.
      CommonTableExpression<OrdersRecord> orders = DSL.name("o").as(dsl.update(ORDERS)
          .set(ORDERS.STATUS, update.status().name())
          .set(ORDERS.REASON, update.reason())
          .set(ORDERS.PAYMENT_ID, update.paymentId())
          .set(ORDERS.SHIPMENT_ID, update.shipmentId())
          .set(ORDERS.VERSION, ORDERS.VERSION.plus(1))
          .set(ORDERS.UPDATED_AT, now)
          .where(ORDERS.ID.eq(id), DSL.exists(DSL.selectOne().from(sagas)))
          .returning());
      return Shard.fetchOptional(dsl, bucket, dsl.with(sagas, orders, OrderRows.eventOf(dsl, orders))
              .select(sagas.field(ORDER_SAGAS.CANCEL_REASON))
              .from(sagas))
          .map(row -> Optional.ofNullable(row.value1()));
    });
    return cancelReason.map(reason -> {
      StoredOrder order = orderUpdate.map(u -> record.order().changed(u.status(), u.reason(), u.paymentId(),
          u.shipmentId(), now.toInstant())).orElse(record.order());
      return new SagaRecord(order, sagaAfter.apply(record.saga()).withCancelReason(reason));
    });
  }

  /** What a saga write sets on its order: every field a saga changes. */
  private record OrderUpdate(OrderStatus status, String reason, String paymentId, String shipmentId) {}

  /** The end of a saga: its final status, no step left, no lease. */
  private static UpdateSetMoreStep<OrderSagasRecord> ended(UpdateSetMoreStep<OrderSagasRecord> update,
      SagaStatus status) {
    return update.set(ORDER_SAGAS.STATUS, status.name())
        .set(ORDER_SAGAS.CURRENT_STEP, "")
        .setNull(ORDER_SAGAS.LEASE_OWNER)
        .setNull(ORDER_SAGAS.LEASE_UNTIL);
  }

  /** A saga from a row of order_sagas, or of a statement returning its columns (read by name). */
  static StoredSaga toSaga(Record r) {
    return new StoredSaga(
        r.get(ORDER_SAGAS.ORDER_ID.getName(), Long.class),
        SagaStatus.valueOf(r.get(ORDER_SAGAS.STATUS.getName(), String.class)),
        r.get(ORDER_SAGAS.CURRENT_STEP.getName(), String.class),
        OrderRows.list(r.get(ORDER_SAGAS.COMPLETED_STEPS.getName(), String[].class)),
        OrderRows.list(r.get(ORDER_SAGAS.COMPENSATION_PLAN.getName(), String[].class)),
        OrderRows.list(r.get(ORDER_SAGAS.COMPENSATED_STEPS.getName(), String[].class)),
        SagaContext.fromJsonb(r.get(ORDER_SAGAS.CONTEXT.getName(), JSONB.class)),
        r.get(ORDER_SAGAS.FAILURE.getName(), String.class),
        Optional.ofNullable(r.get(ORDER_SAGAS.CANCEL_REASON.getName(), String.class)));
  }
}
