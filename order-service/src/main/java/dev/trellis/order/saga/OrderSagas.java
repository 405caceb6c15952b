package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.partner.Notifier;
import dev.trellis.order.partner.PaymentGateway;
import dev.trellis.order.partner.ShipmentService;
import dev.trellis.order.store.IdempotencyKeys;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.store.OrderEvent;
import dev.trellis.order.store.OrderStore;
import dev.trellis.order.store.SagaJournal;
import dev.trellis.platform.events.OutboxFeed;
import io.opentelemetry.api.trace.Tracer;

/**
 * The sagas of one replica, assembled: the runner that drives them, the recovery worker that takes over those of
 * dead replicas, and the two ways calls start or stop one ({@link OrderPlacement}, {@link OrderCancellation}).
 * Close it after the server has stopped.
 */
public final class OrderSagas implements AutoCloseable {
  private final SagaRunner runner;
  private final SagaRecovery recovery;
  private final OrderPlacement placement;
  private final OrderCancellation cancellation;

  private OrderSagas(Builder b) {
    SagaSpans spans = new SagaSpans(b.tracer);
    OrderSagaSteps steps = new OrderSagaSteps(b.inventory, b.payments, b.shipments, b.notifier);
    this.runner = new SagaRunner(b.journal, steps, spans, b.settings);
    OrderOutcomes outcomes = new OrderOutcomes(b.orders, b.events, runner);
    this.placement = new OrderPlacement(b.keys, b.journal, b.inventory, b.users, runner, outcomes, spans,
        b.settings.awaitTimeout());
    this.cancellation = new OrderCancellation(b.journal, runner, outcomes, b.settings.awaitTimeout());
    this.recovery = SagaRecovery.start(b.journal, runner, b.settings.recoveryInterval());
  }

  public static Builder builder() {
    return new Builder();
  }

  public OrderPlacement placement() {
    return placement;
  }

  public OrderCancellation cancellation() {
    return cancellation;
  }

  /** Takes over unfinished sagas whose lease ran out now, instead of at the next round (tests). */
  public int recoverNow() {
    return recovery.recoverOnce();
  }

  /** Stops taking over sagas, then stops the runner (running sagas get a few seconds to end). */
  @Override
  public void close() {
    recovery.close();
    runner.close();
  }

  /** Assembles {@link OrderSagas}; every part is required. */
  public static final class Builder {
    private SagaJournal journal;
    private OrderStore orders;
    private IdempotencyKeys keys;
    private InventoryStore inventory;
    private OutboxFeed<OrderEvent> events;
    private UserVerifier users;
    private PaymentGateway payments;
    private ShipmentService shipments;
    private Notifier notifier;
    private Tracer tracer;
    private SagaSettings settings;

    private Builder() {}

    /** Where sagas are written; also the replica's lease owner name. */
    public Builder store(SagaJournal journal, OrderStore orders, IdempotencyKeys keys, InventoryStore inventory) {
      this.journal = requireNonNull(journal, "journal");
      this.orders = requireNonNull(orders, "orders");
      this.keys = requireNonNull(keys, "keys");
      this.inventory = requireNonNull(inventory, "inventory");
      return this;
    }

    /** The order-events feed, to wait for sagas driven by other replicas. */
    public Builder events(OutboxFeed<OrderEvent> events) {
      this.events = requireNonNull(events, "events");
      return this;
    }

    public Builder users(UserVerifier users) {
      this.users = requireNonNull(users, "users");
      return this;
    }

    /** The third parties. */
    public Builder partners(PaymentGateway payments, ShipmentService shipments, Notifier notifier) {
      this.payments = requireNonNull(payments, "payments");
      this.shipments = requireNonNull(shipments, "shipments");
      this.notifier = requireNonNull(notifier, "notifier");
      return this;
    }

    public Builder tracer(Tracer tracer) {
      this.tracer = requireNonNull(tracer, "tracer");
      return this;
    }

    public Builder settings(SagaSettings settings) {
      this.settings = requireNonNull(settings, "settings");
      return this;
    }

    /** Builds, and starts the recovery worker (its first round runs at once). */
    public OrderSagas start() {
      requireNonNull(journal, "store");
      requireNonNull(events, "events");
      requireNonNull(users, "users");
      requireNonNull(payments, "partners");
      requireNonNull(tracer, "tracer");
      requireNonNull(settings, "settings");
      return new OrderSagas(this);
    }
  }
}
