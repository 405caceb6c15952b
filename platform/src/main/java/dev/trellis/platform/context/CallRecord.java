package dev.trellis.platform.context;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;

/**
 * One call as the logs see it: its request id, its trace ids and its principal. The request-log interceptor opens
 * one in the {@link CallContext#RECORD} key with the request id and trace ids; the auth interceptor further in fills
 * in the principal; the error interceptor reads the ids to log a failure under them.
 */
public final class CallRecord {
  private final String requestId;
  private volatile String traceId;
  private volatile String spanId;
  private volatile Principal principal;

  public CallRecord(String requestId) {
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

  /** Records the trace and server span the call runs in. */
  public void traced(String traceId, String spanId) {
    this.traceId = requireNonNull(traceId, "traceId");
    this.spanId = requireNonNull(spanId, "spanId");
  }

  /** The principal, or null when the call has none (public method, or rejected before auth). */
  public Principal principal() {
    return principal;
  }

  public void principal(Principal principal) {
    this.principal = requireNonNull(principal, "principal");
  }
}
