package dev.trellis.platform.server;

import static dev.trellis.testing.ErrorDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import dev.trellis.platform.CallKind;
import dev.trellis.testing.LogCapture;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What handlers throw, as clients see it, behind the whole chain over real stubs. */
class ErrorInterceptorTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.start(grpc);
  private final LogCapture errorLog = LogCapture.of(ErrorInterceptor.class);

  @AfterEach
  void stopCapture() {
    errorLog.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"throw-internal", "on-error-internal"})
  void unexpectedFailuresBecomeAGenericInternalThatHidesTheMessage(String command) {
    CallKind.Outcome outcome = call(CallKind.UNARY, command);

    assertHiddenInternal(outcome);
  }

  @ParameterizedTest
  @EnumSource(value = CallKind.class, names = {"CLIENT_STREAMING", "BIDI_STREAMING"})
  void streamingHandlersThatThrowAlsoGetTheGenericInternal(CallKind kind) {
    assertHiddenInternal(call(kind, "throw-internal"));
  }

  @Test
  void aServerStreamThatFailsMidwayEndsWithTheGenericInternal() {
    CallKind.Outcome outcome = call(CallKind.SERVER_STREAMING, "throw-after-first");

    assertThat(outcome.messages()).containsExactly("throw-after-first-0");
    assertHiddenInternal(outcome);
  }

  @Test
  void theCauseIsLoggedOnTheServerUnderTheRequestId() {
    CallKind.Outcome outcome = call(CallKind.UNARY, "throw-internal");
    String requestId = outcome.trailers().get(RequestIds.HEADER);

    await().atMost(10, TimeUnit.SECONDS).until(() -> !errorLog.lines().isEmpty());
    var line = errorLog.lines().getFirst();
    assertThat(line.get("level").asText()).isEqualTo("ERROR");
    assertThat(line.get("request_id").asText()).isEqualTo(requestId);
    assertThat(line.has("trace_id")).isTrue();
    assertThat(line.get("stack_trace").asText()).contains(ScriptedService.SECRET);
  }

  @ParameterizedTest
  @ValueSource(strings = {"throw-not-found", "on-error-not-found"})
  void apiExceptionsBecomeTheirStatusWithDetails(String command) {
    CallKind.Outcome outcome = call(CallKind.UNARY, command);

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(outcome.status().getDescription()).isEqualTo("users/7 not found");
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(outcome.status(), outcome.trailers());
    assertThat(details.getDetailsList()).anyMatch(d -> d.is(ResourceInfo.class));
    assertThat(detail(outcome.status(), outcome.trailers(), ErrorInfo.class).getReason()).isEqualTo("NOT_FOUND");
  }

  @Test
  void deliberateStatusesPassThrough() {
    CallKind.Outcome outcome = call(CallKind.UNARY, "status-aborted");

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.ABORTED);
    assertThat(outcome.status().getDescription()).isEqualTo("deliberately aborted");
  }

  private CallKind.Outcome call(CallKind kind, String command) {
    return kind.call(platform.channel, TestTokens.bearer(platform.tokens.user(42)), command);
  }

  private static void assertHiddenInternal(CallKind.Outcome outcome) {
    // In the trailers of a trailers-only response, else in the headers sent with the first message.
    String requestId = outcome.status().getCode() == Status.Code.INTERNAL && outcome.messages().isEmpty()
        ? outcome.trailers().get(RequestIds.HEADER)
        : outcome.headers().get(RequestIds.HEADER);
    assertThat(requestId).isNotNull();
    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(outcome.status().getDescription())
        .isEqualTo("internal error; quote request id " + requestId + " when reporting it");
    for (String key : outcome.trailers().keys()) {
      if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        assertThat(outcome.trailers().get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)))
            .doesNotContain("SELECT").doesNotContain("IllegalStateException");
      }
    }
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(outcome.status(), outcome.trailers());
    assertThat(details.toString()).doesNotContain("SELECT").doesNotContain("IllegalStateException");
  }
}
