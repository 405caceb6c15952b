package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.partner.Notifier;
import dev.trellis.order.partner.PartnerRefusedException;
import dev.trellis.order.partner.PaymentGateway;
import dev.trellis.order.partner.ShipmentService;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.store.InventoryStore.Reservation;
import dev.trellis.order.store.OrderChange;
import dev.trellis.order.store.OrderLine;
import dev.trellis.order.store.SagaRecord;
import dev.trellis.order.store.StoredOrder;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each step of an order's saga does and how it is undone. Every action is idempotent, so a step repeated after
 * a crash acts once: inventory by (order, sku), partners by the key {@code <saga id>/<step>}.
 */
final class OrderSagaSteps {
  /** The context entry of the saga's inputs, and the buyer's result of verify_user. */
  static final String INPUT = "input";
  static final String PAYMENT_TOKEN = "payment_token";
  static final String EMAIL = "email";
  static final String NAME = "name";

  private static final Logger log = LoggerFactory.getLogger(OrderSagaSteps.class);

  private final InventoryStore inventory;
  private final PaymentGateway payments;
  private final ShipmentService shipments;
  private final Notifier notifier;

  OrderSagaSteps(InventoryStore inventory, PaymentGateway payments, ShipmentService shipments, Notifier notifier) {
    this.inventory = requireNonNull(inventory, "inventory");
    this.payments = requireNonNull(payments, "payments");
    this.shipments = requireNonNull(shipments, "shipments");
    this.notifier = requireNonNull(notifier, "notifier");
  }

  /**
   * Runs a step's action.
   *
   * @throws StepFailedException when the step cannot complete, for good
   */
  StepOutcome run(OrderStep step, SagaRecord saga) {
    StoredOrder order = saga.order();
    try {
      return switch (step) {
        case VERIFY_USER -> throw new IllegalStateException("verify_user runs before the saga is stored");
        case RESERVE_INVENTORY -> reserve(order);
        case PROCESS_PAYMENT -> {
          String paymentId = payments.charge(key(saga, step), order.id(),
              saga.saga().context().require(INPUT, PAYMENT_TOKEN), order.totalCents(), order.currency());
          yield new StepOutcome(Map.of("payment_id", paymentId), OrderChange.paymentId(paymentId));
        }
        case CREATE_SHIPMENT -> {
          String shipmentId = shipments.create(key(saga, step), order.id(), order.address(), order.lines());
          yield new StepOutcome(Map.of("shipment_id", shipmentId), OrderChange.shipmentId(shipmentId));
        }
        case SEND_NOTIFICATION -> {
          String email = buyerEmail(saga);
          notifier.send(key(saga, step), email, Notifier.Kind.CONFIRMATION, order.id());
          yield StepOutcome.of(Map.of("recipient", email));
        }
      };
    } catch (PartnerRefusedException refused) {
      // The partner did nothing: only the steps before need undoing.
      throw new StepFailedException(refused.getMessage(), false);
    }
  }

  /** Runs a step's compensation; it may be repeated, and undoes nothing twice. */
  void compensate(OrderStep step, SagaRecord saga) {
    StoredOrder order = saga.order();
    switch (step) {
      case VERIFY_USER -> { }
      case RESERVE_INVENTORY -> order.lines().forEach(l -> inventory.release(order.id(), l.sku(), l.quantity()));
      case PROCESS_PAYMENT -> payments.refund(key(saga, OrderStep.PROCESS_PAYMENT), order.id());
      case CREATE_SHIPMENT -> shipments.cancel(key(saga, OrderStep.CREATE_SHIPMENT), order.id());
      case SEND_NOTIFICATION -> {
        try {
          notifier.send(saga.saga().sagaId() + "/" + step.compensationName(), buyerEmail(saga),
              Notifier.Kind.CANCELLATION, order.id());
        } catch (PartnerRefusedException bounced) {
          // A notice that cannot be delivered must not hold the refund and the stock back.
          log.warn("saga {}: the cancellation notice bounced: {}", saga.saga().sagaId(), bounced.getMessage());
        }
      }
    }
  }

  /** After the last step: the order's reserved units become sold. */
  void confirmStock(SagaRecord saga) {
    StoredOrder order = saga.order();
    order.lines().forEach(l -> inventory.confirm(order.id(), l.sku()));
  }

  private StepOutcome reserve(StoredOrder order) {
    for (OrderLine line : order.lines()) {
      Reservation reservation = inventory.reserve(order.id(), line.sku(), line.quantity());
      // A refusal after earlier lines were reserved: the step's own compensation releases them.
      switch (reservation.outcome()) {
        case RESERVED -> { }
        case OUT_OF_STOCK -> throw new StepFailedException("not enough stock of " + line.sku() + ": "
            + line.quantity() + " asked, " + reservation.available() + " available", true);
        case UNKNOWN_SKU -> throw new StepFailedException("unknown sku " + line.sku(), true);
        case RELEASED -> throw new StepFailedException("the stock of " + line.sku() + " was released", true);
      }
    }
    return StepOutcome.of(Map.of("lines", Integer.toString(order.lines().size())));
  }

  private static String buyerEmail(SagaRecord saga) {
    return saga.saga().context().require(OrderStep.VERIFY_USER.stepName(), EMAIL);
  }

  /** The idempotency key a partner sees for a step: the same on every attempt, on every replica. */
  static String key(SagaRecord saga, OrderStep step) {
    return saga.saga().sagaId() + "/" + step.stepName();
  }
}
