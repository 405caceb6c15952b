package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * A failure the caller should see as it is: the message is written for the client and must never hold SQL, class
 * names or secrets. Rules and stores throw subclasses; {@link StatusMapper} turns them into a gRPC status with
 * google.rpc details. They carry no stack trace: they are answers, not bugs.
 */
public abstract sealed class ApiException extends RuntimeException
    permits InvalidArgumentException, NotFoundException, AlreadyExistsException, PermissionDeniedException,
        UnauthenticatedException, ResourceExhaustedException, UnavailableException, FailedPreconditionException,
        AbortedException {
  private final String reason;
  private final Map<String, String> metadata;

  ApiException(String reason, String message) {
    this(reason, message, Map.of());
  }

  ApiException(String reason, String message, Map<String, String> metadata) {
    super(requireNonNull(message, "message"), null, false, false);
    this.reason = requireNonNull(reason, "reason");
    this.metadata = Map.copyOf(requireNonNull(metadata, "metadata"));
  }

  /** A stable UPPER_SNAKE_CASE reason for google.rpc.ErrorInfo, which clients may switch on. */
  public String reason() {
    return reason;
  }

  /** What the ErrorInfo's metadata says beside the reason (which method, what it needs); often empty. */
  public Map<String, String> metadata() {
    return metadata;
  }
}
