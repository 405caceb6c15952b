package dev.trellis.platform.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.testing.StreamRecorder;
import com.google.rpc.RetryInfo;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.OutboxReader;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SubscriptionSenderTest {
  private static final int CAPACITY = 5;

  private final ListOutbox outbox = new ListOutbox();
  private final OutboxFeed<String> feed = OutboxFeed.start(outbox, Duration.ofMillis(2), "test");
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name)
        .addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
            String prefix = request.getRequestMessage();
            SubscriptionSender.send(observer, feed, e -> e.startsWith(prefix), CAPACITY,
                e -> SimpleResponse.newBuilder().setResponseMessage(e).build());
          }
        })
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    feed.close();
  }

  @Test
  void streamsMatchingEventsAsTheyHappen() {
    StreamRecorder<SimpleRequest, SimpleResponse> client = subscribe("user-7", 100);
    await().until(() -> feed.subscriberCount() == 1);
    outbox.write("user-7 updated");
    outbox.write("user-8 updated");
    outbox.write("user-7 deleted");

    await().atMost(Duration.ofSeconds(5)).until(() -> client.messages().size() == 2);
    assertThat(received(client)).containsExactly("user-7 updated", "user-7 deleted");
  }

  @Test
  void aClientThatStopsReadingGetsResourceExhaustedWithRetryInfo() {
    StreamRecorder<SimpleRequest, SimpleResponse> client = subscribe("", 0);
    await().until(() -> feed.subscriberCount() == 1);
    for (int i = 0; i < CAPACITY + 2; i++) {
      outbox.write("e" + i);
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> client.ended());
    Status status = Status.fromThrowable(client.error());
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(StatusProto.fromThrowable(client.error()).getDetailsList())
        .anySatisfy(d -> assertThat(d.is(RetryInfo.class)).isTrue());
    assertThat(feed.subscriberCount()).isZero();
  }

  @Test
  void cancellingTheCallEndsTheSubscription() {
    StreamRecorder<SimpleRequest, SimpleResponse> client = subscribe("", 100);
    await().until(() -> feed.subscriberCount() == 1);
    client.call().cancel("done", null);

    await().atMost(Duration.ofSeconds(5)).until(() -> feed.subscriberCount() == 0);
  }

  @Test
  void closingTheFeedEndsStreamsWithUnavailable() {
    StreamRecorder<SimpleRequest, SimpleResponse> client = subscribe("", 100);
    await().until(() -> feed.subscriberCount() == 1);
    feed.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> client.ended());
    assertThat(Status.fromThrowable(client.error()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  /** A client that asks for {@code initialRequests} messages (0: it never reads). */
  private StreamRecorder<SimpleRequest, SimpleResponse> subscribe(String prefix, int initialRequests) {
    StreamRecorder<SimpleRequest, SimpleResponse> client = StreamRecorder.window(initialRequests);
    SimpleServiceGrpc.newStub(channel)
        .serverStreamingRpc(SimpleRequest.newBuilder().setRequestMessage(prefix).build(), client);
    return client;
  }

  private static List<String> received(StreamRecorder<?, SimpleResponse> client) {
    return client.messages().stream().map(SimpleResponse::getResponseMessage).toList();
  }

  /** One shard whose transactions commit in id order. */
  private static final class ListOutbox implements OutboxReader<String> {
    private final List<Stamped<String>> events = new ArrayList<>();
    private long next = 1;

    synchronized void write(String event) {
      events.add(new Stamped<>(next++, event));
    }

    @Override
    public synchronized long horizon(int shard) {
      return next;
    }

    @Override
    public synchronized Batch<String> readFrom(int shard, long watermark) {
      return new Batch<>(events.stream().filter(e -> e.txid() >= watermark).toList(), next);
    }

    @Override
    public java.util.SortedSet<Integer> shards() {
      return new java.util.TreeSet<>(java.util.Set.of(0));
    }

    @Override
    public synchronized long joinedFrom(int shard) {
      return next;
    }
  }
}
