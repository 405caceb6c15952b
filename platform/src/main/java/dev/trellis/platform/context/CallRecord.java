package dev.trellis.platform.context;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;

/**
 * One call as the logs see it: its request id, its trace ids and its principal; and the server's
 * {@link CallControl} for it. Everyone reads it through {@link CallContext}; only the {@link CallRecordWriter} fills
 * it in: the request id when the call opens, the trace ids right inside the tracing step, the control in the
 * calls-in-flight step, the principal once, from the auth step.
 */
public final class CallRecord {
  private final String requestId;
  private volatile String traceId;
  private volatile String spanId;
  private volatile Principal principal;
  private volatile CallControl control;

  CallRecord(String requestId) {
    this.requestId = requireNonNull(requestId, "requestId");
  }

  public String requestId() {
    return requestId;
  }

  /** The W3C trace id, or null when the call is not traced. */
  public String traceId() {
    return traceId;
  }

  /** The server span id, or null when the call is not traced. */
  public String spanId() {
    return spanId;
  }

  /** The principal, or null when the call has none (public method, or refused before auth). */
  public Principal principal() {
    return principal;
  }

  /** The server's control of this call, or null outside a TrellisServer. */
  CallControl control() {
    return control;
  }

  void control(CallControl control) {
    this.control = requireNonNull(control, "control");
  }

  void traced(String traceId, String spanId) {
    this.traceId = requireNonNull(traceId, "traceId");
    this.spanId = requireNonNull(spanId, "spanId");
  }

  synchronized void authenticated(Principal principal) {
    requireNonNull(principal, "principal");
    if (this.principal != null) {
      throw new IllegalStateException("the principal of a call is set once");
    }
    this.principal = principal;
  }
}
