package dev.trellis.platform.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.platform.CallKind;
import dev.trellis.testing.LogCapture;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.context.RequestIds;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The access log, behind the whole chain, over real stubs. */
class AccessLogInterceptorTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.start(grpc);
  private final LogCapture accessLog = LogCapture.of("trellis.access");

  @AfterEach
  void stopCapture() {
    accessLog.close();
  }
  @Test
  void writesOneJsonLinePerCallWithEveryField() {
    CallKind.UNARY.call(withRequestId("line-1"), bearer(), "whoami");

    JsonNode line = awaitLine("line-1");
    assertThat(line.get("message").asText()).isEqualTo("rpc");
    assertThat(line.get("method").asText()).isEqualTo("grpc.testing.SimpleService/UnaryRpc");
    assertThat(line.get("status").asText()).isEqualTo("OK");
    assertThat(line.get("duration_ms").isNumber()).isTrue();
    assertThat(line.get("peer").asText()).isNotEmpty();
    assertThat(line.get("principal").asText()).isEqualTo("42");
    assertThat(line.has("trace_id")).isTrue(); // null while tracing is off
    assertThat(line.has("span_id")).isTrue();
  }

  @Test
  void durationsAreMillisecondsWithThreeDecimals() {
    assertThat(AccessLogInterceptor.LoggingCall.milliseconds(0)).isEqualTo("0.000");
    assertThat(AccessLogInterceptor.LoggingCall.milliseconds(7)).isEqualTo("0.007");
    assertThat(AccessLogInterceptor.LoggingCall.milliseconds(1_234)).isEqualTo("1.234");
    assertThat(AccessLogInterceptor.LoggingCall.milliseconds(20_050)).isEqualTo("20.050");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void streamingCallsAlsoGetExactlyOneLine(CallKind kind) {
    kind.call(withRequestId("stream-" + kind), bearer(), "hello");

    assertThat(awaitLine("stream-" + kind).get("status").asText()).isEqualTo("OK");
    assertThat(linesFor("stream-" + kind)).hasSize(1);
  }

  @Test
  void refusedCallsAreLoggedWithoutPrincipal() {
    CallKind.UNARY.call(withRequestId("refused-1"), null, "whoami");

    JsonNode line = awaitLine("refused-1");
    assertThat(line.get("status").asText()).isEqualTo("UNAUTHENTICATED");
    assertThat(line.get("principal").isNull()).isTrue();
  }

  @Test
  void aCallTheClientCancelsIsLoggedAsCancelled() throws InterruptedException {
    CountDownLatch echoed = new CountDownLatch(1);
    var requests = SimpleServiceGrpc.newStub(withRequestId("cancelled-1"))
        .withCallCredentials(bearer())
        .bidiStreamingRpc(new ClientResponseObserver<SimpleRequest, SimpleResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<SimpleRequest> requestStream) {}

          @Override
          public void onNext(SimpleResponse value) {
            echoed.countDown();
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    requests.onNext(SimpleRequest.newBuilder().setRequestMessage("hi").build());
    assertThat(echoed.await(10, TimeUnit.SECONDS)).isTrue();

    ((ClientCallStreamObserver<SimpleRequest>) requests).cancel("user closed the page", null);

    assertThat(awaitLine("cancelled-1").get("status").asText()).isEqualTo("CANCELLED");
  }

  @Test
  void aHandlerThatAnswersAfterItsCallerLeftIsLoggedAsTheCallerSawIt() throws InterruptedException {
    var abandoned = SimpleServiceGrpc.newFutureStub(withRequestId("abandoned-1")).withCallCredentials(bearer())
        .withDeadlineAfter(200, TimeUnit.MILLISECONDS)
        .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("answer-when-abandoned").build());
    var cancelled = SimpleServiceGrpc.newFutureStub(withRequestId("abandoned-2")).withCallCredentials(bearer())
        .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("answer-when-abandoned").build());
    assertThat(platform.service.abandonable.tryAcquire(2, 10, TimeUnit.SECONDS)).isTrue();
    cancelled.cancel(true);

    assertThat(awaitLine("abandoned-1").get("status").asText()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(awaitLine("abandoned-2").get("status").asText()).isEqualTo("CANCELLED");
    assertThat(abandoned).failsWithin(10, TimeUnit.SECONDS);
  }

  private JsonNode awaitLine(String requestId) {
    await().atMost(10, TimeUnit.SECONDS).until(() -> !linesFor(requestId).isEmpty());
    return linesFor(requestId).getFirst();
  }

  private List<JsonNode> linesFor(String requestId) {
    return accessLog.lines().stream().filter(l -> requestId.equals(l.path("request_id").asText())).toList();
  }

  private Channel withRequestId(String id) {
    Metadata headers = new Metadata();
    headers.put(RequestIds.HEADER, id);
    return ClientInterceptors.intercept(platform.channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private io.grpc.CallCredentials bearer() {
    return TestTokens.bearer(platform.tokens.user(42));
  }
}
