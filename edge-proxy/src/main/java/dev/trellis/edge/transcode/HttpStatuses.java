package dev.trellis.edge.transcode;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import io.grpc.Status.Code;
import java.util.OptionalLong;

/**
 * gRPC status codes as HTTP statuses, by the standard mapping (google.rpc.Code's comments, and Envoy's
 * {@code Grpc::Utility::grpcToHttpStatus}).
 */
public final class HttpStatuses {
  private HttpStatuses() {}

  public static int of(Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 499;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNAUTHENTICATED -> 401;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
    };
  }

  /** Whole seconds to wait, rounded up, from the status's RetryInfo: the value of a Retry-After header. */
  public static OptionalLong retryAfterSeconds(Status status) {
    for (Any detail : status.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          long seconds = delay.getSeconds() + (delay.getNanos() > 0 ? 1 : 0);
          return OptionalLong.of(Math.max(0, seconds));
        } catch (InvalidProtocolBufferException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }
}
