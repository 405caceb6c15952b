package dev.trellis.platform.server;

import static dev.trellis.testing.ErrorDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.LogCapture;
import dev.trellis.testing.RawCall;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Requests that are not protobuf messages of their type, sent as raw bytes over Netty: INVALID_ARGUMENT with a
 * BadRequest naming the field, one access-log line with the request id and no stack trace, for every call kind.
 * grpc-java alone answers UNKNOWN "Application error processing RPC", logs nothing through the chain, and prints a
 * stack trace without a request id.
 */
class MalformedRequestIT {
  /** SimpleRequest{requestMessage: the byte 0xff}: not UTF-8, which proto3 strings must be. */
  private static final byte[] INVALID_UTF8 = HexFormat.of().parseHex("0a01ff");
  /** SimpleRequest whose requestMessage says 5 bytes follow, and one does. */
  private static final byte[] CUT_SHORT = HexFormat.of().parseHex("0a0561");

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.startNetty(grpc);
  private final LogCapture accessLog = LogCapture.of("trellis.access");
  private final LogCapture everything = LogCapture.of("ROOT");

  @AfterEach
  void stopCapture() {
    accessLog.close();
    everything.close();
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void invalidUtf8IsInvalidArgumentNamingTheField(CallKind kind) {
    RawCall.Outcome outcome = send(kind, List.of(INVALID_UTF8));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription()).isEqualTo("requestMessage: is not valid UTF-8");
    BadRequest bad = detail(outcome.status(), outcome.trailers(), BadRequest.class);
    assertThat(bad.getFieldViolationsList()).singleElement()
        .satisfies(v -> assertThat(v.getField()).isEqualTo("requestMessage"));
    assertThat(detail(outcome.status(), outcome.trailers(), ErrorInfo.class).getReason())
        .isEqualTo("INVALID_ARGUMENT");
    assertLoggedOnceWithoutStackTrace(kind, outcome);
  }

  @Test
  void aMessageCutShortNamesItsField() {
    RawCall.Outcome outcome = send(CallKind.UNARY, List.of(CUT_SHORT));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(detail(outcome.status(), outcome.trailers(), BadRequest.class).getFieldViolations(0).getField())
        .isEqualTo("requestMessage");
  }

  @ParameterizedTest
  @EnumSource(value = CallKind.class, names = {"CLIENT_STREAMING", "BIDI_STREAMING"})
  void aBadMessageInTheMiddleOfAStreamEndsItWithInvalidArgument(CallKind kind) {
    byte[] good = ScriptedService.request("fine").toByteArray();

    RawCall.Outcome outcome = send(kind, List.of(good, INVALID_UTF8, good));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outcome.status().getDescription()).isEqualTo("requestMessage: is not valid UTF-8");
    if (kind == CallKind.BIDI_STREAMING) {
      assertThat(outcome.messages()).as("the good message before it was answered").hasSize(1);
    }
    assertLoggedOnceWithoutStackTrace(kind, outcome);
  }

  /**
   * A method that takes one request gets none (a raw client, or a gRPC-Web body without a frame through the edge):
   * INVALID_ARGUMENT saying so. grpc-java alone answers INTERNAL "Half-closed without a request".
   */
  @ParameterizedTest
  @EnumSource(value = CallKind.class, names = {"UNARY", "SERVER_STREAMING"})
  void aSingleRequestMethodWithoutItsRequestIsInvalidArgument(CallKind kind) {
    RawCall.Outcome none = send(kind, List.of());

    assertThat(none.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(none.status().getDescription()).isEqualTo("request: is missing: this method takes one message");
    assertThat(detail(none.status(), none.trailers(), BadRequest.class).getFieldViolations(0).getField())
        .isEqualTo("request");
    assertLoggedOnceWithoutStackTrace(kind, none);
  }

  /**
   * A method that takes one request gets two (a raw client; no stub sends that): INVALID_ARGUMENT saying so, as for
   * none, and the handler never runs. Servers disagree here: grpc-java's transport resets the stream (the client
   * sees CANCELLED "RST_STREAM closed stream", as it did here before), its unary handler would close INTERNAL "Too
   * many requests", grpc-go answers INTERNAL, and gRPC's status-code table says UNIMPLEMENTED for a cardinality
   * violation (contested: grpc-java#11247).
   */
  @ParameterizedTest
  @EnumSource(value = CallKind.class, names = {"UNARY", "SERVER_STREAMING"})
  void aSingleRequestMethodSentTwoRequestsIsInvalidArgument(CallKind kind) {
    byte[] good = ScriptedService.request("fine").toByteArray();

    RawCall.Outcome two = send(kind, List.of(good, good));

    assertThat(two.status().getCode()).as("%s", two.status()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(two.status().getDescription())
        .isEqualTo("request: has more than one message: this method takes one");
    assertThat(detail(two.status(), two.trailers(), BadRequest.class).getFieldViolations(0).getField())
        .isEqualTo("request");
    assertThat(two.messages()).as("the handler did not run").isEmpty();
    assertLoggedOnceWithoutStackTrace(kind, two);
  }

  @Test
  void garbageToThePlatformsOwnServicesIsInvalidArgumentToo() {
    byte[] garbage = HexFormat.of().parseHex("ffffffff");
    assertThat(RawCall.call(platform.channel, HealthGrpc.getCheckMethod(), null, List.of(garbage)).status().getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(RawCall.call(platform.channel, ServerReflectionGrpc.getServerReflectionInfoMethod(), null,
        List.of(garbage)).status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void wellFormedRequestsStillWork() {
    RawCall.Outcome outcome = send(CallKind.UNARY, List.of(ScriptedService.request("fine").toByteArray()));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(outcome.messages()).hasSize(1);
  }

  private RawCall.Outcome send(CallKind kind, List<byte[]> messages) {
    return RawCall.call(platform.channel, kind.method(), platform.tokens.user(42), messages);
  }

  private void assertLoggedOnceWithoutStackTrace(CallKind kind, RawCall.Outcome outcome) {
    String requestId = outcome.trailers().get(RequestIds.HEADER);
    String method = kind.method().getFullMethodName();
    await().atMost(Duration.ofSeconds(10)).until(() -> accessLines(method).size() == 1);
    JsonNode line = accessLines(method).getFirst();
    assertThat(line.get("status").asText()).isEqualTo("INVALID_ARGUMENT");
    if (requestId != null) { // a trailers-only answer; after a first message the id came in the headers
      assertThat(line.get("request_id").asText()).isEqualTo(requestId);
    }
    assertThat(line.get("request_id").asText()).isNotBlank();
    assertThat(everything.lines()).noneMatch(l -> l.has("stack_trace"));
  }

  private List<JsonNode> accessLines(String method) {
    return accessLog.lines().stream().filter(l -> l.get("method").asText().equals(method)).toList();
  }
}
