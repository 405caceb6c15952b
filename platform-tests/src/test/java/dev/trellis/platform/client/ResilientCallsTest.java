package dev.trellis.platform.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trellis.platform.ScriptedService;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.LogCapture;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Failsafe policies around real calls to a real (in-process) dependency that misbehaves on cue. */
class ResilientCallsTest {
  private static final Duration TINY = Duration.ofMillis(1);

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final Dependency dependency = new Dependency();
  private SimpleServiceGrpc.SimpleServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    String name = grpc.uniqueName();
    grpc.register(InProcessServerBuilder.forName(name).addService(dependency).build().start());
    stub = SimpleServiceGrpc.newBlockingStub(grpc.register(InProcessChannelBuilder.forName(name).build()));
  }

  @Test
  void retriesUnavailableWithBackoffUntilItWorks() {
    dependency.fail(Status.UNAVAILABLE, Status.UNAVAILABLE);

    String answer = calls().build().unary(() -> stub.unaryRpc(ScriptedService.request("hi"))).getResponseMessage();

    assertThat(answer).isEqualTo("hi");
    assertThat(dependency.attempts.get()).isEqualTo(3);
  }

  @Test
  void givesUpAfterThreeAttempts() {
    dependency.fail(Status.UNAVAILABLE, Status.UNAVAILABLE, Status.UNAVAILABLE, Status.UNAVAILABLE);

    assertThat(codeOf(() -> calls().build().unary(() -> stub.unaryRpc(ScriptedService.request("hi")))))
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(dependency.attempts.get()).isEqualTo(3);
  }

  @Test
  void retriesNothingButUnavailable() {
    dependency.fail(Status.NOT_FOUND, Status.INTERNAL);
    ResilientCalls calls = calls().build();

    assertThat(codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("hi")))))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("hi")))))
        .isEqualTo(Status.Code.INTERNAL);
    assertThat(dependency.attempts.get()).isEqualTo(2);
  }

  @Test
  void theSwitchTurnsRetriesOffWhenTheMeshRetries() {
    dependency.fail(Status.UNAVAILABLE);

    ResilientCalls calls = calls().withRetries(false).build();

    assertThat(codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x")))))
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(dependency.attempts.get()).isEqualTo(1);
  }

  @Test
  void theCircuitOpensAfterFiveFailuresAndHalfOpensAfterItsDelay() {
    ResilientCalls calls = calls().withRetries(false).withCircuitBreaker(5, Duration.ofMillis(200)).build();
    dependency.fail(Status.UNAVAILABLE, Status.UNAVAILABLE, Status.UNAVAILABLE, Status.UNAVAILABLE,
        Status.UNAVAILABLE);
    LogCapture breakerLog = LogCapture.of(FailsafeCalls.class);
    for (int i = 0; i < 5; i++) {
      codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x"))));
    }

    StatusRuntimeException open = catchStatus(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x"))));

    assertThat(open.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(open.getStatus().getDescription())
        .isEqualTo("user-service is unavailable after repeated failures; retry later");
    assertThat(dependency.attempts.get()).as("the open circuit kept the call home").isEqualTo(5);
    // After the delay a trial call goes through, and succeeds.
    await().atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
        .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
        .untilAsserted(() ->
        assertThat(calls.unary(() -> stub.unaryRpc(ScriptedService.request("back"))).getResponseMessage())
            .isEqualTo("back"));
    assertThat(dependency.attempts.get()).isEqualTo(6);
    breakerLog.close();
    assertThat(breakerLog.lines()).extracting(line -> line.get("message").asText()).containsExactly(
        "circuit breaker for user-service opened after 5 failures in a row; calls fail fast for 200 ms",
        "circuit breaker for user-service half-open: a trial call goes through",
        "circuit breaker for user-service closed");
  }

  @Test
  void answersLikeNotFoundDoNotOpenTheCircuit() {
    ResilientCalls calls = calls().withCircuitBreaker(2, Duration.ofMinutes(1)).build();
    for (int i = 0; i < 5; i++) {
      dependency.fail(Status.NOT_FOUND);
      assertThat(codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x")))))
          .isEqualTo(Status.Code.NOT_FOUND);
    }
    assertThat(dependency.attempts.get()).isEqualTo(5);
  }

  @Test
  void aNotFoundBetweenFailuresCountsAsASuccessForTheBreaker() {
    ResilientCalls calls = calls().withRetries(false).withCircuitBreaker(3, Duration.ofMinutes(1)).build();
    // Two failures, an answer (NOT_FOUND), two failures: never three failures in a row, so the circuit stays closed.
    dependency.fail(Status.UNAVAILABLE, Status.UNAVAILABLE, Status.NOT_FOUND, Status.UNAVAILABLE,
        Status.UNAVAILABLE);
    List<Status.Code> codes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      codes.add(codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x")))));
    }

    String answer = calls.unary(() -> stub.unaryRpc(ScriptedService.request("still closed"))).getResponseMessage();

    assertThat(codes).containsExactly(Status.Code.UNAVAILABLE, Status.Code.UNAVAILABLE, Status.Code.NOT_FOUND,
        Status.Code.UNAVAILABLE, Status.Code.UNAVAILABLE);
    assertThat(answer).isEqualTo("still closed");
    assertThat(dependency.attempts.get()).isEqualTo(6);
  }

  @Test
  void callersWhoseOwnDeadlinePassesOrWhoCancelDoNotOpenTheCircuit() throws Exception {
    ResilientCalls calls = calls().withRetries(false).withCircuitBreaker(2, Duration.ofMinutes(1)).build();
    // Callers in a hurry: each call's deadline (the caller's, through the Context) passes while the dependency
    // holds it; then callers that give up. None of it says the dependency is unwell.
    ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int i = 0; i < 3; i++) {
        try (Context.CancellableContext hurried =
            Context.current().withDeadlineAfter(100, TimeUnit.MILLISECONDS, deadlines)) {
          assertThat(hurried.call(() -> codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request(
              "hold")))))).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        }
      }
    } finally {
      deadlines.shutdownNow();
      dependency.release.countDown();
    }
    for (int i = 0; i < 3; i++) {
      Context.CancellableContext leaving = Context.current().withCancellation();
      leaving.cancel(null);
      assertThat(leaving.call(() -> codeOf(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x"))))))
          .isEqualTo(Status.Code.CANCELLED);
    }

    String answer = calls.unary(() -> stub.unaryRpc(ScriptedService.request("still closed"))).getResponseMessage();

    assertThat(answer).isEqualTo("still closed");
  }

  @Test
  void aFullBulkheadIsResourceExhausted() throws Exception {
    ResilientCalls calls = calls().withBulkhead(1, Duration.ZERO).build();
    CompletableFuture<SimpleResponse> first = CompletableFuture.supplyAsync(
        () -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("hold"))));
    assertThat(dependency.holding.await(10, TimeUnit.SECONDS)).isTrue();

    StatusRuntimeException full = catchStatus(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("x"))));

    assertThat(full.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(full.getStatus().getDescription()).isEqualTo("too many calls in flight to user-service; retry later");
    dependency.release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).getResponseMessage()).isEqualTo("hold");
  }

  @Test
  void aTimeoutIsDeadlineExceededAndCancelsTheCallOnTheServer() throws Exception {
    ResilientCalls calls = calls().withRetries(false).withTimeout(Duration.ofSeconds(1)).build();
    AtomicBoolean interruptedAfterwards = new AtomicBoolean(true);

    CompletableFuture<StatusRuntimeException> outcome = CompletableFuture.supplyAsync(() -> {
      StatusRuntimeException e = catchStatus(() -> calls.unary(() -> stub.unaryRpc(ScriptedService.request("hold"))));
      interruptedAfterwards.set(Thread.currentThread().isInterrupted());
      return e;
    });
    assertThat(dependency.holding.await(10, TimeUnit.SECONDS)).isTrue();

    StatusRuntimeException timedOut = outcome.get(10, TimeUnit.SECONDS);
    assertThat(timedOut.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(timedOut.getStatus().getDescription()).isEqualTo("user-service did not answer within 1000 ms");
    assertThat(dependency.holdCancelled.await(10, TimeUnit.SECONDS)).as("the server saw the cancellation").isTrue();
    assertThat(interruptedAfterwards).as("the timeout's interrupt was cleared").isFalse();
  }

  @Test
  void aStreamIsRetriedWhileNothingHasArrived() {
    dependency.fail(Status.UNAVAILABLE);
    List<String> received = new ArrayList<>();

    calls().build().serverStream(() -> stub.serverStreamingRpc(ScriptedService.request("s")),
        r -> received.add(r.getResponseMessage()));

    assertThat(received).containsExactly("s-0", "s-1", "s-2");
    assertThat(dependency.attempts.get()).isEqualTo(2);
  }

  @Test
  void aStreamIsNotRetriedOnceAResponseHasArrived() {
    List<String> received = new ArrayList<>();

    StatusRuntimeException broken = catchStatus(() -> calls().build().serverStream(
        () -> stub.serverStreamingRpc(ScriptedService.request("break-after-first")),
        r -> received.add(r.getResponseMessage())));

    assertThat(broken.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(received).containsExactly("break-after-first-0");
    assertThat(dependency.attempts.get()).isEqualTo(1);
  }

  @Test
  void aConsumerThatGivesUpMidStreamCancelsTheCall() throws InterruptedException {
    assertThatThrownBy(() -> calls().build().serverStream(
        () -> stub.serverStreamingRpc(ScriptedService.request("endless")),
        r -> {
          throw new IllegalStateException("enough");
        })).hasMessage("enough");

    assertThat(dependency.streamCancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private ResilientCallsBuilder calls() {
    return ResilientCalls.builder("user-service").withRetries(3, TINY, TINY.multipliedBy(2));
  }

  private static Status.Code codeOf(Runnable call) {
    return catchStatus(call).getStatus().getCode();
  }

  private static StatusRuntimeException catchStatus(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  /** The dependency: fails with the queued statuses first, then answers; "hold" waits; counts attempts. */
  private static final class Dependency extends SimpleServiceGrpc.SimpleServiceImplBase {
    final AtomicInteger attempts = new AtomicInteger();
    final Queue<Status> failures = new ConcurrentLinkedQueue<>();
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch holdCancelled = new CountDownLatch(1);
    final CountDownLatch streamCancelled = new CountDownLatch(1);

    void fail(Status... statuses) {
      failures.addAll(List.of(statuses));
    }

    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
      attempts.incrementAndGet();
      Status failure = failures.poll();
      if (failure != null) {
        responses.onError(failure.asRuntimeException());
        return;
      }
      if (request.getRequestMessage().equals("hold")) {
        Context.current().addListener(c -> holdCancelled.countDown(), Runnable::run);
        holding.countDown();
        try {
          if (!release.await(10, TimeUnit.SECONDS)) {
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      responses.onNext(SimpleResponse.newBuilder().setResponseMessage(request.getRequestMessage()).build());
      responses.onCompleted();
    }

    @Override
    public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
      attempts.incrementAndGet();
      Status failure = failures.poll();
      if (failure != null) {
        responses.onError(failure.asRuntimeException());
        return;
      }
      String message = request.getRequestMessage();
      if (message.equals("endless")) {
        Context.current().addListener(c -> streamCancelled.countDown(), Runnable::run);
        for (int i = 0; i < 5; i++) {
          responses.onNext(SimpleResponse.newBuilder().setResponseMessage("more").build());
        }
        return;
      }
      responses.onNext(SimpleResponse.newBuilder().setResponseMessage(message + "-0").build());
      if (message.equals("break-after-first")) {
        responses.onError(Status.UNAVAILABLE.withDescription("connection lost").asRuntimeException());
        return;
      }
      responses.onNext(SimpleResponse.newBuilder().setResponseMessage(message + "-1").build());
      responses.onNext(SimpleResponse.newBuilder().setResponseMessage(message + "-2").build());
      responses.onCompleted();
    }
  }
}
