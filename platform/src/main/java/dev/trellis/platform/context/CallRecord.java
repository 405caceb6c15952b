package dev.trellis.platform.context;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;

/**
 * One call as the logs see it: its request id and trace ids, known when the call starts, and the principal, which
 * the auth interceptor further in decides later. The request-log interceptor puts one in the
 * {@link CallContext#RECORD} key; the auth interceptor fills in the principal, the error interceptor reads the ids
 * to log a failure under them.
 */
public final class CallRecord {
  private final String requestId;
  private final String traceId;
  private final String spanId;
  private volatile Principal principal;

  /**
   * @param traceId the W3C trace id, or null when the call is not traced
   * @param spanId the server span id, or null when the call is not traced
   */
  public CallRecord(String requestId, String traceId, String spanId) {
    this.requestId = requireNonNull(requestId, "requestId");
    this.traceId = traceId;
    this.spanId = spanId;
  }

  public String requestId() {
    return requestId;
  }

  /** The trace id, or null when the call is not traced. */
  public String traceId() {
    return traceId;
  }

  /** The server span id, or null when the call is not traced. */
  public String spanId() {
    return spanId;
  }

  /** The principal, or null when the call has none (public method, or rejected before auth). */
  public Principal principal() {
    return principal;
  }

  public void principal(Principal principal) {
    this.principal = requireNonNull(principal, "principal");
  }
}
