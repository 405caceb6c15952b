package dev.trellis.platform.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.auth.Principal;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The call record behind the whole chain, over real stubs: its request id (the caller's or a new one, echoed and seen
 * by the handler), and its one owner: the server opens and writes records, the auth step sets the principal once.
 */
class CallRecordTest {
  private static final Pattern UUID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.start(grpc);

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void echoesTheCallersRequestId(CallKind kind) {
    CallKind.Outcome outcome = kind.call(withRequestId("checkout-1234"), bearer(), "request-id");

    assertThat(outcome.headers().get(RequestIds.HEADER)).isEqualTo("checkout-1234");
  }

  @Test
  void theHandlerSeesTheSameId() {
    CallKind.Outcome outcome = CallKind.UNARY.call(withRequestId("checkout-1234"), bearer(), "request-id");

    assertThat(outcome.messages()).containsExactly("checkout-1234");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void generatesAnIdWhenThereIsNone(CallKind kind) {
    CallKind.Outcome outcome = kind.call(platform.channel, bearer(), "request-id");

    String id = outcome.headers().get(RequestIds.HEADER);
    assertThat(id).matches(UUID);
    if (kind == CallKind.UNARY) {
      assertThat(outcome.messages()).containsExactly(id);
    }
  }

  @Test
  void refusedCallsCarryTheIdInTheirTrailers() {
    CallKind.Outcome outcome = CallKind.UNARY.call(withRequestId("abc-1"), null, "whoami");

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(outcome.trailers().get(RequestIds.HEADER)).isEqualTo("abc-1");
  }

  @Test
  void unsafeOrOversizedIdsAreReplaced() {
    String injected = CallKind.UNARY.call(withRequestId("a\"b {}"), bearer(), "request-id").messages().getFirst();
    String huge = CallKind.UNARY.call(withRequestId("x".repeat(RequestIds.MAX_LENGTH + 1)),
        bearer(), "request-id").messages().getFirst();

    assertThat(injected).matches(UUID);
    assertThat(huge).matches(UUID);
  }
  @Test
  void theServerHoldsTheOnlyWriterOfCallRecords() {
    // PlatformFixture built a TrellisServer, which claimed the writer for the process.
    assertThatThrownBy(CallRecordWriter::claim)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call records have one writer, and the server holds it");
  }

  @Test
  void aPrincipalIsSetOnce() {
    CallRecord record = new CallRecord("once-1");
    record.authenticated(new Principal("42", Set.of(Principal.USER)));

    assertThatThrownBy(() -> record.authenticated(new Principal("1", Set.of(Principal.ADMIN))))
        .isInstanceOf(IllegalStateException.class);
    assertThat(record.principal().subject()).isEqualTo("42");
  }

  @Test
  void outsideACallThereIsNoRecord() {
    assertThat(CallContext.record()).isEmpty();
    assertThat(CallContext.currentPrincipal()).isEmpty();
    assertThat(CallContext.requestId()).isEmpty();
  }

  private Channel withRequestId(String id) {
    Metadata headers = new Metadata();
    headers.put(RequestIds.HEADER, id);
    return ClientInterceptors.intercept(platform.channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private CallCredentials bearer() {
    return TestTokens.bearer(platform.tokens.user(42));
  }
}
