package dev.trellis.platform.error;

/** The caller is known but may not do this: PERMISSION_DENIED with a google.rpc.ErrorInfo. */
public final class PermissionDeniedException extends ApiException {
  public PermissionDeniedException(String message) {
    super("PERMISSION_DENIED", message);
  }
}
