package dev.trellis.platform.error;

/** A concurrent change won a race; the whole call may be retried: ABORTED. */
public final class AbortedException extends ApiException {
  public AbortedException(String message) {
    super("ABORTED", message);
  }
}
