package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.TestTokens;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The server runs grpc-java's direct executor and leaves the transport's thread once per call (HandlerThreadHop):
 * over a real Netty connection, a handler that blocks holds only its own call.
 */
class HandlerThreadHopIT {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final MutableClock clock = MutableClock.startingNow();
  private final TestTokens tokens = TestTokens.create(clock);

  /** "wait" blocks until a "go" comes; each answer says whether its handler ran on a virtual thread. */
  private static final class WaitingService extends SimpleServiceGrpc.SimpleServiceImplBase {
    final CountDownLatch waiting = new CountDownLatch(1);
    final CountDownLatch go = new CountDownLatch(1);

    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
      if (request.getRequestMessage().equals("wait")) {
        waiting.countDown();
        try {
          go.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else {
        go.countDown();
      }
      boolean deadline = Context.current().getDeadline() != null;
      responses.onNext(SimpleResponse.newBuilder()
          .setResponseMessage("virtual=" + Thread.currentThread().isVirtual() + " deadline=" + deadline).build());
      responses.onCompleted();
    }
  }

  @Test
  void aBlockedHandlerHoldsOnlyItsOwnCallOnTheConnection() throws IOException, InterruptedException {
    WaitingService service = new WaitingService();
    TrellisServer server = grpc.register(TrellisServer.builder(ServerConfig.defaults().withPort(0))
        .auth(tokens.authConfig())
        .clock(clock)
        .addUndeclaredService(service)
        .build()
        .start());
    // One channel, one connection: its calls share one event loop on the server.
    ManagedChannel channel = grpc.register(
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build());
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestTokens.bearer(tokens.user(1)));

    CompletableFuture<SimpleResponse> waiting = CompletableFuture.supplyAsync(() -> stub
        .withDeadlineAfter(20, TimeUnit.SECONDS).unaryRpc(request("wait")));
    assertThat(service.waiting.await(10, TimeUnit.SECONDS)).isTrue();
    // Served while the first call's handler blocks (with the handler on the transport's thread it would wait for
    // the first one's 30 s, past this deadline).
    SimpleResponse go = stub.withDeadlineAfter(10, TimeUnit.SECONDS).unaryRpc(request("go"));

    assertThat(go.getResponseMessage()).isEqualTo("virtual=true deadline=true");
    assertThat(waiting.join().getResponseMessage()).isEqualTo("virtual=true deadline=true");
  }

  private static SimpleRequest request(String body) {
    return SimpleRequest.newBuilder().setRequestMessage(body).build();
  }
}
