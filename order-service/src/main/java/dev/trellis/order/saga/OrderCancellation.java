package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;
import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.trellis.order.store.SagaJournal;
import dev.trellis.order.store.StoredOrder;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CancelOrder's work. A PENDING order's saga is asked to stop: whichever replica drives it sees the request at its
 * next step boundary and compensates. A CONFIRMED order's completed saga is turned to compensation here and driven
 * by this replica: cancel the shipment, refund, return the stock, send a cancellation notice. Either way the call
 * waits (up to {@link SagaSettings#awaitTimeout()}) for the order to be CANCELLED and answers with it as it then is.
 */
public final class OrderCancellation {
  private static final Logger log = LoggerFactory.getLogger(OrderCancellation.class);

  private final SagaJournal journal;
  private final SagaRunner runner;
  private final OrderOutcomes outcomes;
  private final Duration awaitTimeout;

  OrderCancellation(SagaJournal journal, SagaRunner runner, OrderOutcomes outcomes, Duration awaitTimeout) {
    this.journal = requireNonNull(journal, "journal");
    this.runner = requireNonNull(runner, "runner");
    this.outcomes = requireNonNull(outcomes, "outcomes");
    this.awaitTimeout = requireNonNull(awaitTimeout, "awaitTimeout");
  }

  /**
   * Cancels the order (it exists, and the caller may cancel it); cancelling a CANCELLED or REJECTED order, or
   * twice, changes nothing.
   *
   * @param reason kept on the order
   * @return the order once cancelled, or as it is after the wait
   */
  public StoredOrder cancel(StoredOrder order, String reason) {
    requireNonNull(order, "order");
    requireNonNull(reason, "reason");
    if (order.status().isTerminal()) {
      return order;
    }
    SagaJournal.Cancellation outcome = journal.requestCancel(order.id(), reason, OrderStep::cancellationPlan);
    log.info("{} cancelled: {}", kv("saga_id", "order_" + order.id()), kv("cancellation", outcome));
    if (outcome == SagaJournal.Cancellation.COMPENSATE_NOW) {
      runner.resume(order.id());
    }
    return outcomes.await(order.id(), o -> o.status().isTerminal(), awaitTimeout);
  }
}
