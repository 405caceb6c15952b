package dev.trellis.platform.error;

/** The resource is not in a state that allows this (cancel a confirmed order): FAILED_PRECONDITION. */
public final class FailedPreconditionException extends ApiException {
  public FailedPreconditionException(String reason, String message) {
    super(reason, message);
  }
}
