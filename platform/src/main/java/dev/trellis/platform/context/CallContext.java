package dev.trellis.platform.context;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import dev.trellis.platform.error.UnauthenticatedException;
import io.grpc.Context;
import java.util.Optional;

/**
 * The per-call state the interceptor chain hands to handlers and outgoing calls: one {@link CallRecord} in one
 * {@link io.grpc.Context} key, declared here and nowhere else. A handler reads who is calling with
 * {@link #principal()}; outgoing calls forward {@link #requestId()}.
 *
 * <p>One key rather than one per value: every Context a call attaches costs a little on each of its callbacks
 * (more so with OpenTelemetry's gRPC context bridge on the classpath), and the principal, decided by the auth
 * interceptor after the request log has made the Context, is simply filled into the record.
 */
public final class CallContext {
  /** The record of the call being served, put in the Context by the request-log interceptor. */
  public static final Context.Key<CallRecord> RECORD = Context.key("trellis-call-record");

  private CallContext() {}

  /** The verified caller of the call being served; UNAUTHENTICATED when there is none. */
  public static Principal principal() {
    return currentPrincipal()
        .orElseThrow(() -> new UnauthenticatedException("this method needs a caller identity"));
  }

  /** The verified caller, if the current call has one (public methods have none). */
  public static Optional<Principal> currentPrincipal() {
    CallRecord record = RECORD.get();
    return record == null ? Optional.empty() : Optional.ofNullable(record.principal());
  }

  /** The caller, who must hold {@code role}: PERMISSION_DENIED otherwise. */
  public static Principal requireRole(String role) {
    Principal principal = principal();
    if (!principal.hasRole(role)) {
      throw new PermissionDeniedException("this method needs the role " + role);
    }
    return principal;
  }

  /** The request id of the call being served, if any (none outside a call). */
  public static Optional<String> requestId() {
    CallRecord record = RECORD.get();
    return record == null ? Optional.empty() : Optional.of(record.requestId());
  }
}
