package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * Turns {@link ApiException}s into gRPC statuses with google.rpc details (the rich error model of AIP-193), and
 * anything else into a bare INTERNAL. Every status carries an ErrorInfo with a stable reason.
 */
public final class StatusMapper {
  /** The ErrorInfo domain of every Trellis error. */
  public static final String DOMAIN = "trellis.dev";

  private StatusMapper() {}

  /** The status an {@link ApiException} stands for, with its details. */
  public static StatusRuntimeException toStatusException(ApiException e) {
    requireNonNull(e, "e");
    Status.Builder status = Status.newBuilder().setCode(code(e).getNumber()).setMessage(e.getMessage());
    status.addDetails(Any.pack(ErrorInfo.newBuilder().setReason(e.reason()).setDomain(DOMAIN).build()));
    switch (e) {
      case InvalidArgumentException invalid -> {
        BadRequest.Builder bad = BadRequest.newBuilder();
        invalid.violations().forEach(v -> bad.addFieldViolationsBuilder()
            .setField(v.field()).setDescription(v.description()));
        status.addDetails(Any.pack(bad.build()));
      }
      case NotFoundException notFound -> status.addDetails(Any.pack(ResourceInfo.newBuilder()
          .setResourceType(notFound.resourceType()).setResourceName(notFound.resourceName()).build()));
      case AlreadyExistsException exists -> status.addDetails(Any.pack(ResourceInfo.newBuilder()
          .setResourceType(exists.resourceType()).setResourceName(exists.resourceName()).build()));
      case ResourceExhaustedException exhausted -> status.addDetails(retryInfo(exhausted.retryDelay()));
      case UnavailableException unavailable -> status.addDetails(retryInfo(unavailable.retryDelay()));
      case AbortedException aborted -> aborted.retryDelay().ifPresent(delay -> status.addDetails(retryInfo(delay)));
      default -> { }
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  /**
   * Closes {@code call} with the status {@code e} stands for and returns a listener that ignores the rest of the
   * call: how an interceptor refuses a call (no token, over a limit) without reaching the handler.
   */
  public static <ReqT> ServerCall.Listener<ReqT> reject(ServerCall<ReqT, ?> call, ApiException e) {
    requireNonNull(call, "call");
    StatusRuntimeException status = toStatusException(e);
    call.close(status.getStatus(), status.getTrailers());
    return new ServerCall.Listener<>() {};
  }

  /**
   * The INTERNAL status for a failure nobody planned for. Its message is generic on purpose: the cause is
   * logged on the server under the given request id, never sent to the client.
   */
  public static StatusRuntimeException internal(String requestId) {
    Status status = Status.newBuilder()
        .setCode(Code.INTERNAL_VALUE)
        .setMessage("internal error; quote request id " + requestId + " when reporting it")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("INTERNAL").setDomain(DOMAIN).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  private static Code code(ApiException e) {
    return switch (e) {
      case InvalidArgumentException x -> Code.INVALID_ARGUMENT;
      case NotFoundException x -> Code.NOT_FOUND;
      case AlreadyExistsException x -> Code.ALREADY_EXISTS;
      case PermissionDeniedException x -> Code.PERMISSION_DENIED;
      case UnauthenticatedException x -> Code.UNAUTHENTICATED;
      case ResourceExhaustedException x -> Code.RESOURCE_EXHAUSTED;
      case UnavailableException x -> Code.UNAVAILABLE;
      case FailedPreconditionException x -> Code.FAILED_PRECONDITION;
      case AbortedException x -> Code.ABORTED;
    };
  }

  private static Any retryInfo(java.time.Duration delay) {
    return Any.pack(RetryInfo.newBuilder()
        .setRetryDelay(Duration.newBuilder().setSeconds(delay.getSeconds()).setNanos(delay.getNano()))
        .build());
  }
}
