package dev.trellis.platform.error;

import static dev.trellis.testing.ErrorDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusMapperTest {
  @Test
  void invalidArgumentCarriesEveryFieldViolation() {
    var e = StatusMapper.toStatusException(new InvalidArgumentException(List.of(
        new FieldViolation("email", "must be an email address"), new FieldViolation("name", "must not be empty"))));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .as("a summary: the violations travel once, in the BadRequest")
        .isEqualTo("email: must be an email address (and 1 more field violation)");
    BadRequest bad = detail(e, BadRequest.class);
    assertThat(bad.getFieldViolationsList()).extracting(BadRequest.FieldViolation::getField)
        .containsExactly("email", "name");
    assertThat(detail(e, ErrorInfo.class).getReason()).isEqualTo("INVALID_ARGUMENT");
    assertThat(detail(e, ErrorInfo.class).getDomain()).isEqualTo("trellis.dev");
  }

  @Test
  void detailsAreBoundedWhateverTheRequestHeld() {
    List<FieldViolation> many = java.util.stream.IntStream.range(0, 5000)
        .mapToObj(i -> new FieldViolation("roles[" + i + "]".repeat(100), "\u5c71".repeat(1000))).toList();
    var e = StatusMapper.toStatusException(new InvalidArgumentException(many));

    com.google.rpc.Status details = io.grpc.protobuf.StatusProto.fromThrowable(e);
    assertThat(details.getSerializedSize()).isLessThanOrEqualTo(StatusMapper.MAX_DETAILS_BYTES);
    assertThat(e.getStatus().getDescription().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .hasSizeLessThanOrEqualTo(StatusMapper.MAX_MESSAGE_BYTES);
    BadRequest bad = detail(e, BadRequest.class);
    assertThat(bad.getFieldViolationsCount()).isPositive().isLessThanOrEqualTo(StatusMapper.MAX_VIOLATIONS);
    ErrorInfo info = detail(e, ErrorInfo.class);
    assertThat(info.getMetadataMap()).containsEntry(StatusMapper.TOTAL_VIOLATIONS, "5000")
        .containsEntry(StatusMapper.OMITTED_VIOLATIONS, Integer.toString(5000 - bad.getFieldViolationsCount()));
  }

  @Test
  void aFewShortViolationsAreSentWhole() {
    var e = StatusMapper.toStatusException(InvalidArgumentException.of("name", "is required"));

    assertThat(e.getStatus().getDescription()).isEqualTo("name: is required");
    assertThat(detail(e, ErrorInfo.class).getMetadataMap()).isEmpty();
    assertThat(detail(e, BadRequest.class).getFieldViolations(0).getDescription()).isEqualTo("is required");
  }

  @Test
  void notFoundNamesTheResource() {
    var e = StatusMapper.toStatusException(new NotFoundException("trellis.user.v1.User", "users/42"));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(detail(e, ResourceInfo.class).getResourceName()).isEqualTo("users/42");
    assertThat(detail(e, ResourceInfo.class).getResourceType()).isEqualTo("trellis.user.v1.User");
  }

  @Test
  void resourceExhaustedTellsWhenToRetry() {
    var e = StatusMapper.toStatusException(new ResourceExhaustedException("rate limit", Duration.ofMillis(1500)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    RetryInfo retry = detail(e, RetryInfo.class);
    assertThat(retry.getRetryDelay().getSeconds()).isEqualTo(1);
    assertThat(retry.getRetryDelay().getNanos()).isEqualTo(500_000_000);
  }

  @Test
  void everyApiExceptionMapsToItsOwnCode() {
    assertThat(code(new AlreadyExistsException("t", "n", "taken"))).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(code(new PermissionDeniedException("no"))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(new UnauthenticatedException("no token"))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(new UnavailableException("a shard is down"))).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(code(new FailedPreconditionException("ORDER_TERMINAL", "done"))).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(code(new AbortedException("raced"))).isEqualTo(Status.Code.ABORTED);
  }

  @Test
  void internalSaysNothingButTheRequestId() {
    var e = StatusMapper.internal("req-1");

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).isEqualTo("internal error; quote request id req-1 when reporting it");
  }

  private static Status.Code code(ApiException e) {
    return StatusMapper.toStatusException(e).getStatus().getCode();
  }
}
