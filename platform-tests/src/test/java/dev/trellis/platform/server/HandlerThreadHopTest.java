package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.trellis.testing.GrpcCleanup;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How many threads a call costs behind the hop, counted on an executor that runs nothing until told. */
class HandlerThreadHopTest {
  private static final String UNARY = "grpc.testing.SimpleService/UnaryRpc";

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final HeldThreads threads = new HeldThreads();
  /** What reached the hop from the transport: recorded by a step outside it, on the transport's thread. */
  private final List<String> arrived = new CopyOnWriteArrayList<>();

  private final ServerInterceptor recorder = new ServerInterceptor() {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        @Override
        public void onMessage(ReqT message) {
          arrived.add("message");
          super.onMessage(message);
        }

        @Override
        public void onHalfClose() {
          arrived.add("half-close");
          super.onHalfClose();
        }
      };
    }
  };

  private static final class Echo extends SimpleServiceGrpc.SimpleServiceImplBase {
    @Override
    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
      responses.onNext(SimpleResponse.newBuilder().setResponseMessage(request.getRequestMessage()).build());
      responses.onCompleted();
    }
  }

  @Test
  void aUnaryCallsRequestAndHalfCloseQueueBehindItsStartOnOneThread() throws Exception {
    ListenableFuture<SimpleResponse> answer = call(Set.of(UNARY));

    // Nothing has run on a thread yet, and the request and half-close are already in the call's queue.
    assertThat(threads.given).isEqualTo(1);
    assertThat(arrived).containsExactly("message", "half-close");
    threads.runAll();

    assertThat(answer.get(10, TimeUnit.SECONDS).getResponseMessage()).isEqualTo("ping");
    assertThat(threads.given).isEqualTo(1); // the completion ran where it arrived
  }

  @Test
  void aMethodNotKnownToTakeOneRequestGetsItsRequestsWhenTheHandlerAsks() throws Exception {
    ListenableFuture<SimpleResponse> answer = call(Set.of());

    // Over Netty the handler's ask goes to the transport's thread, and the request comes back on a second thread.
    assertThat(threads.given).isEqualTo(1);
    assertThat(arrived).isEmpty();
    threads.runAll();

    assertThat(answer.get(10, TimeUnit.SECONDS).getResponseMessage()).isEqualTo("ping");
    assertThat(arrived).containsExactly("message", "half-close");
  }

  private ListenableFuture<SimpleResponse> call(Set<String> oneRequestMethods) throws IOException {
    String name = InProcessServerBuilder.generateName();
    grpc.register(InProcessServerBuilder.forName(name).directExecutor()
        // The last interceptor is the outermost: the recorder sees what the transport delivers to the hop.
        .addService(ServerInterceptors.intercept(new Echo(),
            new HandlerThreadHop(threads, oneRequestMethods), recorder))
        .build().start());
    ManagedChannel channel = grpc.register(InProcessChannelBuilder.forName(name).directExecutor().build());
    return SimpleServiceGrpc.newFutureStub(channel)
        .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("ping").build());
  }
}
