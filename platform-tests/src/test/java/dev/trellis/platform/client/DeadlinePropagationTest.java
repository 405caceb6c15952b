package dev.trellis.platform.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.RelayService;
import dev.trellis.platform.ResponseRecorder;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A service calling another while serving (client -> front -> back, real servers on the in-process transport):
 * the downstream call inherits the caller's deadline, request id and cancellation through the gRPC Context.
 */
class DeadlinePropagationTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture back = PlatformFixture.start(grpc);
  private final PlatformFixture front = PlatformFixture.start(grpc, server -> {
    ServiceChannels channels = new ServiceChannels(Telemetry.off(),
        Optional.of(TestTokens.bearer(back.tokens.service("front"))));
    server.addUndeclaredService(new RelayService(grpc.register(channels.openInProcess(back.name))));
  });

  @Test
  void aCallMadeWhileServingInheritsTheRemainingDeadline() {
    String answer = frontStub().withDeadlineAfter(5, TimeUnit.SECONDS)
        .unaryRpc(ScriptedService.request("deadline-ms")).getResponseMessage();

    // "<back's remaining ms>|deadline-ms=<front's remaining ms>"
    String[] parts = answer.split("\\|deadline-ms=");
    long backMs = Long.parseLong(parts[0]);
    long frontMs = Long.parseLong(parts[1]);
    assertThat(backMs).isPositive().isLessThanOrEqualTo(5_000);
    assertThat(frontMs).isLessThanOrEqualTo(5_000);
    assertThat(backMs).isLessThanOrEqualTo(frontMs + 50);
  }

  @Test
  void noCallerDeadlineMeansNoneDownstream() {
    assertThat(frontStub().unaryRpc(ScriptedService.request("deadline-ms")).getResponseMessage())
        .isEqualTo("none|deadline-ms=none");
  }

  @Test
  void theRequestIdTravelsDownstream() {
    Metadata headers = new Metadata();
    headers.put(RequestIds.HEADER, "order-77");

    String answer = frontStub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .unaryRpc(ScriptedService.request("request-id")).getResponseMessage();

    assertThat(answer).startsWith("order-77|");
  }

  @Test
  void anExpiredCallerCancelsTheDownstreamCall() throws Exception {
    // Long enough for the downstream call to start even on a busy machine; the test waits for that, not a time.
    var answer = SimpleServiceGrpc.newFutureStub(front.channel)
        .withCallCredentials(TestTokens.bearer(front.tokens.user(42)))
        .withDeadlineAfter(2, TimeUnit.SECONDS)
        .unaryRpc(ScriptedService.request("hang"));
    assertThat(back.service.hangStarted.await(10, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> answer.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(back.service.hangCancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancelledCallerCancelsTheDownstreamCall() throws Exception {
    ResponseRecorder outcome = new ResponseRecorder();
    Context.CancellableContext caller = Context.current().withCancellation();
    caller.run(() -> SimpleServiceGrpc.newStub(front.channel)
        .withCallCredentials(TestTokens.bearer(front.tokens.user(42)))
        .unaryRpc(ScriptedService.request("hang"), outcome));
    assertThat(back.service.hangStarted.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(back.service.hangCancelled.getCount()).isEqualTo(1);

    caller.cancel(null);

    assertThat(outcome.awaitStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(back.service.hangCancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub frontStub() {
    return front.blocking(front.tokens.user(42));
  }
}
