package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.trellis.testing.LogCapture;
import dev.trellis.platform.ResponseRecorder;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Graceful shutdown of a real Netty server with open server streams and a health watcher. */
class GracefulShutdownIT {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final MutableClock clock = MutableClock.startingNow();
  private final TestTokens tokens = TestTokens.create(clock);
  private final Ticker ticker = new Ticker();

  @Test
  void healthTurnsNotServingFirstAndOpenStreamsFinishWithinTheGracePeriod() throws Exception {
    TrellisServer server = start(Duration.ofSeconds(30));
    ManagedChannel channel = channelTo(server);
    AtomicReference<ServingStatus> healthWhenStreamsWereTold = new AtomicReference<>();
    server.onShutdown(() -> {
      // Still accepting calls at this point: ask the health service what it says now.
      healthWhenStreamsWereTold.set(HealthGrpc.newBlockingStub(channel)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus());
      ticker.finishAll();
    });
    assertThat(HealthGrpc.newBlockingStub(channel).check(service(SimpleServiceGrpc.SERVICE_NAME)).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    HealthWatcher watcher = HealthWatcher.start(channel);
    ResponseRecorder stream = openStream(channel, tokens.user(1));
    assertThat(stream.firstMessage.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stopGracefully);

    assertThat(watcher.notServing.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(stream.status.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
    assertThat(stream.messages).containsExactly("tick-0", "bye");
    assertThat(healthWhenStreamsWereTold.get()).isEqualTo(ServingStatus.NOT_SERVING);
    // Well inside the 30 s grace period: nothing was left to wait for.
    stopping.get(20, TimeUnit.SECONDS);
    assertThat(server.isTerminated()).isTrue();
  }

  @Test
  void aStreamStillOpenWhenTheGracePeriodEndsGetsUnavailableNotAReset() throws Exception {
    TrellisServer server = start(Duration.ofMillis(300));
    ResponseRecorder stream = openStream(channelTo(server), tokens.user(1));
    assertThat(stream.firstMessage.await(10, TimeUnit.SECONDS)).isTrue();

    try (LogCapture accessLog = LogCapture.of("trellis.access")) {
      server.stopGracefully();

      Status status = stream.status.get(10, TimeUnit.SECONDS);
      assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(status.getDescription()).isEqualTo(TrellisServer.SHUTTING_DOWN);
      assertThat(server.isTerminated()).isTrue();
      // Later sends of the handler are dropped, not thrown at it.
      ticker.finishAll();
      assertThat(ticker.sendFailures).isEmpty();
      // The call ended inside the access log's view: it is logged with the status the client saw.
      await().atMost(10, TimeUnit.SECONDS).until(() -> accessLog.lines().stream()
          .map(line -> line.path("status").asText()).anyMatch("UNAVAILABLE"::equals));
      JsonNode line = accessLog.lines().getFirst();
      assertThat(line.get("method").asText()).isEqualTo("grpc.testing.SimpleService/ServerStreamingRpc");
    }
  }

  @Test
  void aHealthWatcherThatKeepsWatchingIsToldNotServingThenEndedWithoutHoldingShutdown() throws Exception {
    TrellisServer server = start(Duration.ofMinutes(10));
    List<Object> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Status> ended = new CompletableFuture<>();
    HealthGrpc.newStub(channelTo(server)).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(HealthCheckResponse response) {
        seen.add(response.getStatus());
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    });
    await().atMost(10, TimeUnit.SECONDS).until(() -> seen.contains(ServingStatus.SERVING));

    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stopGracefully);

    Status status = ended.get(20, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription()).isEqualTo(TrellisServer.SHUTTING_DOWN);
    assertThat(seen).containsExactly(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
    // The grace period is ten minutes: stopping returns now only because the watch stream no longer holds it.
    stopping.get(20, TimeUnit.SECONDS);
    assertThat(server.isTerminated()).isTrue();
  }

  private TrellisServer start(Duration grace) throws IOException {
    return grpc.register(TrellisServer.builder(ServerConfig.defaults().withPort(0).withShutdownGrace(grace))
        .auth(tokens.authConfig())
        .clock(clock)
        .addUndeclaredService(ticker)
        .build()
        .start());
  }

  private ManagedChannel channelTo(TrellisServer server) {
    return grpc.register(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build());
  }

  private static ResponseRecorder openStream(ManagedChannel channel, String token) {
    ResponseRecorder recorder = new ResponseRecorder();
    SimpleServiceGrpc.newStub(channel).withCallCredentials(TestTokens.bearer(token))
        .serverStreamingRpc(SimpleRequest.getDefaultInstance(), recorder);
    return recorder;
  }

  private static HealthCheckRequest service(String name) {
    return HealthCheckRequest.newBuilder().setService(name).build();
  }

  /** Server streams that send one tick and stay open until told to finish. */
  private static final class Ticker extends SimpleServiceGrpc.SimpleServiceImplBase {
    final List<StreamObserver<SimpleResponse>> open = new CopyOnWriteArrayList<>();
    final List<Throwable> sendFailures = new CopyOnWriteArrayList<>();

    @Override
    public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
      ((ServerCallStreamObserver<SimpleResponse>) responses).setOnCancelHandler(() -> { });
      responses.onNext(SimpleResponse.newBuilder().setResponseMessage("tick-0").build());
      open.add(responses);
    }

    void finishAll() {
      for (StreamObserver<SimpleResponse> responses : open) {
        try {
          responses.onNext(SimpleResponse.newBuilder().setResponseMessage("bye").build());
          responses.onCompleted();
        } catch (RuntimeException e) {
          sendFailures.add(e);
        }
      }
      open.clear();
    }
  }

  /** Watches overall health and hangs up once it turns NOT_SERVING, as a load balancer would. */
  private static final class HealthWatcher
      implements ClientResponseObserver<HealthCheckRequest, HealthCheckResponse> {
    final CountDownLatch notServing = new CountDownLatch(1);
    private ClientCallStreamObserver<HealthCheckRequest> call;
    private Runnable onServing = () -> { };

    static HealthWatcher start(ManagedChannel channel) throws InterruptedException {
      HealthWatcher watcher = new HealthWatcher();
      CountDownLatch serving = new CountDownLatch(1);
      watcher.onServing = serving::countDown;
      HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), watcher);
      assertThat(serving.await(10, TimeUnit.SECONDS)).isTrue();
      return watcher;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> requestStream) {
      call = requestStream;
    }

    @Override
    public void onNext(HealthCheckResponse response) {
      if (response.getStatus() == ServingStatus.SERVING) {
        onServing.run();
      } else if (response.getStatus() == ServingStatus.NOT_SERVING) {
        notServing.countDown();
        call.cancel("done watching", null);
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
