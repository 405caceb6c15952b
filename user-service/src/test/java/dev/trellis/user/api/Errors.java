package dev.trellis.user.api;

import static dev.trellis.testing.ErrorDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Assertions on the statuses and google.rpc details a call fails with. */
final class Errors {
  private Errors() {}

  static StatusRuntimeException failure(ThrowingCallable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("the call fails with a status").isNotNull();
    assertThat(e.getStatus().getCode()).as("never INTERNAL").isNotEqualTo(Status.Code.INTERNAL);
    return e;
  }

  static Status.Code code(ThrowingCallable call) {
    return failure(call).getStatus().getCode();
  }

  /** The fields of the BadRequest of an INVALID_ARGUMENT failure. */
  static List<String> badFields(ThrowingCallable call) {
    StatusRuntimeException e = failure(call);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    return detail(e, BadRequest.class).getFieldViolationsList().stream()
        .map(BadRequest.FieldViolation::getField).toList();
  }
}
