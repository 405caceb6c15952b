package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.StoredSaga;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;

/**
 * The spans of a saga: {@code create_order} for the whole saga, under the CreateOrder server span, and one per step
 * and compensation under it, named as the step, so one trace shows the saga, its call to user-service and its
 * partners. Current spans become the parents of outgoing calls (the GetUser client span).
 */
final class SagaSpans {
  static final String CREATE_ORDER = "create_order";

  private final Tracer tracer;

  SagaSpans(Tracer tracer) {
    this.tracer = requireNonNull(tracer, "tracer");
  }

  /** A span under the current one, before the order has an id. */
  Span start(String name) {
    return tracer.spanBuilder(name).startSpan();
  }

  /** A span of a saga's step under the current one. */
  Span start(String name, long orderId) {
    return tracer.spanBuilder(name)
        .setAttribute("order.id", orderId)
        .setAttribute("saga.id", StoredSaga.sagaId(orderId))
        .startSpan();
  }

  /** The saga span of a saga taken over after a crash: a new trace, since its caller's is gone. */
  Span startRecovered(long orderId) {
    return tracer.spanBuilder(CREATE_ORDER)
        .setNoParent()
        .setAttribute("order.id", orderId)
        .setAttribute("saga.id", StoredSaga.sagaId(orderId))
        .setAttribute("saga.recovered", true)
        .startSpan();
  }

  static void failed(Span span, String reason) {
    span.setStatus(StatusCode.ERROR, reason);
  }
}
