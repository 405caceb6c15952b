package dev.trellis.platform.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FlowControlledSenderTest {
  private static final Metadata.Key<String> TOKEN = Metadata.Key.of("x-next", Metadata.ASCII_STRING_MARSHALLER);

  private final CountingSource source = new CountingSource(100);
  private volatile boolean failAt50;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
            source.failAt = failAt50 ? 50 : -1;
            if (request.getRequestMessage().equals("trailers")) {
              FlowControlledSender.send(observer, source, r -> r, s -> {
                Metadata m = new Metadata();
                m.put(TOKEN, "after-" + s.pulled.get());
                return m;
              });
            } else {
              FlowControlledSender.send(observer, source);
            }
          }
        })
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void sendsEverythingThenCompletesAndClosesTheSource() {
    List<SimpleResponse> all = new ArrayList<>();
    SimpleServiceGrpc.newBlockingStub(channel).serverStreamingRpc(SimpleRequest.getDefaultInstance())
        .forEachRemaining(all::add);

    assertThat(all).hasSize(100);
    assertThat(all.get(99).getResponseMessage()).isEqualTo("99");
    assertThat(source.closed).isTrue();
  }

  @Test
  void pullsOnlyWhatTheClientAskedFor() throws Exception {
    LinkedBlockingQueue<SimpleResponse> received = new LinkedBlockingQueue<>();
    AtomicReference<ClientCallStreamObserver<SimpleRequest>> call = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    SimpleServiceGrpc.newStub(channel).serverStreamingRpc(SimpleRequest.getDefaultInstance(),
        new ClientResponseObserver<SimpleRequest, SimpleResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<SimpleRequest> requestStream) {
            call.set(requestStream);
            requestStream.disableAutoRequestWithInitial(3);
          }

          @Override
          public void onNext(SimpleResponse value) {
            received.add(value);
          }

          @Override
          public void onError(Throwable t) {
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });

    assertThat(received).hasSize(3);
    // One look-ahead at most: hasNext() may have peeked at the fourth item.
    assertThat(source.pulled.get()).isBetween(3, 4);
    assertThat(source.closed).isFalse();

    call.get().request(1000);
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(received).hasSize(100);
    assertThat(source.closed).isTrue();
  }

  @Test
  void cancelClosesTheSource() {
    Iterator<SimpleResponse> it = SimpleServiceGrpc.newBlockingStub(channel)
        .withOnReadyThreshold(1)
        .serverStreamingRpc(SimpleRequest.getDefaultInstance());
    it.next();
    // Closing the channel cancels the call from the client side.
    channel.shutdownNow();

    assertThat(source.closed).isTrue();
    assertThat(source.pulled.get()).isLessThan(100);
  }

  @Test
  void completesWithTrailersComputedFromTheExhaustedSource() {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    var stub = SimpleServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers));
    List<SimpleResponse> all = new ArrayList<>();
    stub.serverStreamingRpc(SimpleRequest.newBuilder().setRequestMessage("trailers").build())
        .forEachRemaining(all::add);

    assertThat(all).hasSize(100);
    assertThat(trailers.get().get(TOKEN)).isEqualTo("after-100");
  }

  @Test
  void sourceFailureEndsTheCallWithAnErrorAndClosesTheSource() {
    failAt50 = true;
    List<SimpleResponse> all = new ArrayList<>();
    Iterator<SimpleResponse> it =
        SimpleServiceGrpc.newBlockingStub(channel).serverStreamingRpc(SimpleRequest.getDefaultInstance());

    assertThatThrownBy(() -> it.forEachRemaining(all::add))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN));
    assertThat(all).hasSize(50);
    assertThat(source.closed).isTrue();
  }

  /** A source of n numbered responses that counts what was pulled and whether it was closed. */
  private static final class CountingSource implements Iterator<SimpleResponse>, AutoCloseable {
    final AtomicInteger pulled = new AtomicInteger();
    final int size;
    volatile int failAt = -1;
    volatile boolean closed;

    CountingSource(int size) {
      this.size = size;
    }

    @Override
    public boolean hasNext() {
      return pulled.get() < size;
    }

    @Override
    public SimpleResponse next() {
      int n = pulled.getAndIncrement();
      if (n == failAt) {
        throw new IllegalStateException("the shard went away");
      }
      return SimpleResponse.newBuilder().setResponseMessage(Integer.toString(n)).build();
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
