package dev.trellis.platform.error;

import java.util.Map;

/** The caller is known but may not do this: PERMISSION_DENIED with a google.rpc.ErrorInfo. */
public final class PermissionDeniedException extends ApiException {
  public PermissionDeniedException(String message) {
    super("PERMISSION_DENIED", message);
  }

  /**
   * @param reason the ErrorInfo reason, when clients should tell this refusal from others
   * @param metadata what the ErrorInfo's metadata says (the method, who may call it)
   */
  public PermissionDeniedException(String reason, String message, Map<String, String> metadata) {
    super(reason, message, metadata);
  }
}
