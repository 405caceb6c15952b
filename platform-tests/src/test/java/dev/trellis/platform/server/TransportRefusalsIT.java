package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the transport refuses before the chain sees a call carries no ErrorInfo (no interceptor made the answer):
 * README's errors section lists these refusals as they look here, and this test pins them, so a grpc upgrade that
 * changes them shows up.
 */
class TransportRefusalsIT {
  private static final int LIMIT = 1024;

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.startNetty(grpc,
      server -> server.configure(builder -> builder.maxInboundMessageSize(LIMIT)));

  @Test
  void aMessageOverTheLimitIsResourceExhaustedWithoutDetails() {
    CallKind.Outcome outcome = CallKind.UNARY.call(platform.channel, TestTokens.bearer(platform.tokens.user(1)),
        "x".repeat(2 * LIMIT));

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(outcome.status().getDescription()).isEqualTo("gRPC message exceeds maximum size 1024: 2051");
    assertThat(StatusProto.fromStatusAndTrailers(outcome.status(), outcome.trailers()).getDetailsList()).isEmpty();
  }

  @Test
  void headersOverTheLimitAreRefusedByTheGrpcJavaClientBeforeTheyLeave() {
    Metadata big = new Metadata();
    big.put(Metadata.Key.of("x-big", Metadata.ASCII_STRING_MARSHALLER), "y".repeat(16 * 1024));
    var stub = SimpleServiceGrpc.newBlockingStub(platform.channel)
        .withCallCredentials(TestTokens.bearer(platform.tokens.user(1)))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(big));

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub.unaryRpc(ScriptedService.request("fine")));

    // The server announced its 8 KiB limit (SETTINGS_MAX_HEADER_LIST_SIZE) and grpc-java's client keeps to it.
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).isEqualTo("http2 exception");
    assertThat(e.getStatus().getCause()).hasMessageContaining("Header size exceeded max allowed size (8192)");
    assertThat(CallKind.UNARY.call(platform.channel, TestTokens.bearer(platform.tokens.user(1)), "fine")
        .status().isOk()).as("the channel goes on").isTrue();
  }
}
