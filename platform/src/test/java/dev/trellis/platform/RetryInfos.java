package dev.trellis.platform;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;

/** Reads the google.rpc.RetryInfo a failed call carries. */
public final class RetryInfos {
  private RetryInfos() {}

  public static Duration retryDelay(Status status, Metadata trailers) {
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
    for (Any any : details.getDetailsList()) {
      if (any.is(RetryInfo.class)) {
        try {
          var delay = any.unpack(RetryInfo.class).getRetryDelay();
          return Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
    }
    throw new AssertionError("no RetryInfo in " + status);
  }
}
