package dev.trellis.testing;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;

/** Reads the google.rpc details (ErrorInfo, BadRequest, ResourceInfo, RetryInfo...) a failed call carries. */
public final class ErrorDetails {
  private ErrorDetails() {}

  /** The detail of {@code type} in a failure thrown by a stub (or made by StatusMapper). */
  public static <T extends Message> T detail(Throwable failure, Class<T> type) {
    return find(StatusProto.fromThrowable(failure), type, String.valueOf(failure));
  }

  /** The detail of {@code type} in the status and trailers an async call ended with. */
  public static <T extends Message> T detail(Status status, Metadata trailers, Class<T> type) {
    return find(StatusProto.fromStatusAndTrailers(status, trailers), type, status.toString());
  }

  /** The retry delay of the google.rpc.RetryInfo the call ended with. */
  public static Duration retryDelay(Status status, Metadata trailers) {
    com.google.protobuf.Duration delay = detail(status, trailers, RetryInfo.class).getRetryDelay();
    return Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
  }

  private static <T extends Message> T find(com.google.rpc.Status details, Class<T> type, String failure) {
    if (details != null) {
      for (Any any : details.getDetailsList()) {
        if (any.is(type)) {
          try {
            return any.unpack(type);
          } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + failure);
  }
}
