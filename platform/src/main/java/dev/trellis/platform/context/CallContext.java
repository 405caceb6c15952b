package dev.trellis.platform.context;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import dev.trellis.platform.error.UnauthenticatedException;
import io.grpc.Context;
import java.util.Optional;

/**
 * The per-call state the interceptor chain hands to handlers and outgoing calls, in {@link io.grpc.Context} keys
 * declared here and nowhere else. A handler reads who is calling with {@link #principal()}; the client side
 * forwards {@link #requestId()} downstream.
 */
public final class CallContext {
  /** The request id of the call being served: reused from {@code x-request-id} or generated. */
  public static final Context.Key<String> REQUEST_ID = Context.key("trellis-request-id");

  /** The verified caller; absent on public methods (health, reflection). */
  public static final Context.Key<Principal> PRINCIPAL = Context.key("trellis-principal");

  /** The access-log record of the call, which inner interceptors complete (the principal). */
  public static final Context.Key<CallRecord> RECORD = Context.key("trellis-call-record");

  private CallContext() {}

  /** The verified caller of the call being served; UNAUTHENTICATED when there is none. */
  public static Principal principal() {
    Principal principal = PRINCIPAL.get();
    if (principal == null) {
      throw new UnauthenticatedException("this method needs a caller identity");
    }
    return principal;
  }

  /** The verified caller, if the current call has one. */
  public static Optional<Principal> currentPrincipal() {
    return Optional.ofNullable(PRINCIPAL.get());
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
    return Optional.ofNullable(REQUEST_ID.get());
  }
}
