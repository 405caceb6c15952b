package dev.trellis.platform.context;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.error.PermissionDeniedException;
import dev.trellis.platform.error.UnauthenticatedException;
import io.grpc.Context;
import io.grpc.Metadata;
import java.util.Optional;

/**
 * Reads the record of the call being served (handlers, interceptors, outgoing calls): who is calling
 * ({@link #principal()}) and under which request id ({@link #requestId()}). The record travels in one
 * {@link io.grpc.Context} key, private to this package; only the {@link CallRecordWriter}, which the server holds,
 * puts records there and fills them in.
 *
 * <p>One key rather than one per value: every Context a call attaches costs a little on each of its callbacks
 * (more so with OpenTelemetry's gRPC context bridge on the classpath).
 */
public final class CallContext {
  static final Context.Key<CallRecord> RECORD = Context.key("trellis-call-record");

  private CallContext() {}

  /** The record of the call being served; empty outside a call. */
  public static Optional<CallRecord> record() {
    return Optional.ofNullable(RECORD.get());
  }

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

  /**
   * Runs {@code action} on a thread of its own when the server serving this call begins shutdown (at once if it has
   * begun), unless the call has ended by then: how a long stream ends promptly with UNAVAILABLE instead of running
   * out the grace period. Nothing happens outside a call of a TrellisServer.
   */
  public static void onServerShutdown(Runnable action) {
    java.util.Objects.requireNonNull(action, "action");
    CallRecord record = RECORD.get();
    if (record != null && record.control() != null) {
      record.control().onServerShutdown(action);
    }
  }

  /**
   * Sends this call's response headers now, with {@code headers} among them, before any message: a stream tells its
   * client something at once (a server stream's headers otherwise leave with its first message). Returns false when
   * they had been sent already, or outside a call of a TrellisServer.
   */
  public static boolean sendHeadersNow(Metadata headers) {
    java.util.Objects.requireNonNull(headers, "headers");
    CallRecord record = RECORD.get();
    return record != null && record.control() != null && record.control().sendHeadersNow(headers);
  }

  /** The request id of the call being served, if any (none outside a call). */
  public static Optional<String> requestId() {
    CallRecord record = RECORD.get();
    return record == null ? Optional.empty() : Optional.of(record.requestId());
  }
}
