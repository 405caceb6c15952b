package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.testing.FirstResponse;
import dev.trellis.testing.OtlpReceiver;
import dev.trellis.testing.RawCall;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.TestTokens;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients that read a server stream slowly or not at all (issue 14): more stalled ListUsers streams than a shard
 * pool has connections. The server reads rows from the shards only as fast as each client takes them, so a stalled
 * stream holds a flow-control window of users, no connection and no more rows; meanwhile another caller is served
 * in full, and the stalled clients, once they read, get every user in order. Pool numbers are read from the
 * metrics the service exports (its OpenTelemetry pool gauges).
 */
class SlowReaderIT {
  private static final int USERS = 2000;
  private static final int STALLED = 8; // more than a shard pool's connections here (cores * 2 + 1)
  /** Small batches, so that reading every user takes many more of them than a stalled window does. */
  private static final int FETCH_SIZE = 16;

  @RegisterExtension
  static final OtlpReceiver collector = OtlpReceiver.start();

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_SHARD_FETCH_SIZE", Integer.toString(FETCH_SIZE))
      .telemetry(() -> collector.telemetry("user-service"));

  /** A client with a small HTTP/2 window, so that what it does not read backs up into the server soon. */
  private final ManagedChannel slow = NettyChannelBuilder.forAddress("127.0.0.1", users.port())
      .flowControlWindow(16 * 1024).usePlaintext().build();

  @BeforeAll
  static void createUsers() throws Exception {
    FirstResponse<ImportUsersResponse> done = new FirstResponse<>();
    StreamObserver<CreateUserRequest> requests = users.stub(UserServiceGrpc::newStub, users.tokens().admin(1))
        .withDeadlineAfter(120, TimeUnit.SECONDS).importUsers(done);
    for (int i = 0; i < USERS; i++) {
      requests.onNext(CreateUserRequest.newBuilder().setEmail("reader-" + i + "@example.com")
          .setName("Slow Reader " + i).build());
    }
    requests.onCompleted();
    assertThat(done.future().get(120, TimeUnit.SECONDS).getCreatedCount()).isEqualTo(USERS);
  }

  @AfterEach
  void closeSlow() {
    slow.shutdownNow();
  }

  @Test
  void stalledStreamsHoldNoConnectionAndNoMoreRowsWhileOthersAreServedAndThenGetEveryUser() throws Exception {
    String admin = users.tokens().admin(1);
    long acquiredBefore = settled(SlowReaderIT::acquired);

    List<Stalled> stalled = new ArrayList<>();
    for (int i = 0; i < STALLED; i++) {
      stalled.add(Stalled.start(slow, admin));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> stalled.stream().allMatch(s -> s.received.size() == 1));
    long readWhileStalled = settled(SlowReaderIT::acquired) - acquiredBefore;
    assertThat(used()).as("stalled streams hold no pool connection").isZero();

    // Another caller meanwhile: a point read and the whole listing.
    UserServiceGrpc.UserServiceBlockingStub other = users.stub(UserServiceGrpc::newBlockingStub, admin);
    List<User> all = new ArrayList<>();
    other.withDeadlineAfter(60, TimeUnit.SECONDS).listUsers(ListUsersRequest.getDefaultInstance())
        .forEachRemaining(all::add);
    assertThat(all).hasSize(USERS);
    assertThat(other.withDeadlineAfter(10, TimeUnit.SECONDS).getUser(GetUserRequest.newBuilder()
        .setId(all.getFirst().getId()).build()).getEmail()).isEqualTo(all.getFirst().getEmail());
    long readForOneWholeListing = settled(SlowReaderIT::acquired) - acquiredBefore - readWhileStalled;

    System.out.printf("%d stalled ListUsers streams of %d users read %d batches of %d rows in all; one whole"
        + " listing read %d%n", STALLED, USERS, readWhileStalled, FETCH_SIZE, readForOneWholeListing);
    // Each stalled stream has read what fills its windows (some hundred users here), far from all of them.
    assertThat(readWhileStalled).as("batches read for %d stalled streams, against %d for one whole listing",
        STALLED, readForOneWholeListing).isLessThan(readForOneWholeListing * STALLED / 2);

    for (Stalled s : stalled) {
      s.call.request(Integer.MAX_VALUE);
    }
    for (Stalled s : stalled) {
      assertThat(s.ended.get(60, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
      assertThat(s.received.stream().map(SlowReaderIT::id).toList())
          .as("every user, in order, once the client reads").isEqualTo(all.stream().map(User::getId).toList());
    }
  }

  /** A ListUsers of every user that has read one message and reads no more until asked. */
  private record Stalled(ClientCall<byte[], byte[]> call, List<byte[]> received, CompletableFuture<Status> ended) {
    static Stalled start(ManagedChannel channel, String token) {
      ClientCall<byte[], byte[]> call = channel.newCall(RawCall.bytesOf(UserServiceGrpc.getListUsersMethod()),
          CallOptions.DEFAULT.withCallCredentials(TestTokens.bearer(token))
              .withDeadlineAfter(180, TimeUnit.SECONDS));
      Stalled stalled = new Stalled(call, new CopyOnWriteArrayList<>(), new CompletableFuture<>());
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          stalled.received.add(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          stalled.ended.complete(status);
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(ListUsersRequest.getDefaultInstance().toByteArray());
      call.halfClose();
      return stalled;
    }
  }

  /** A pool number once it no longer changes: the same in two exports in a row, after the one under way. */
  private static long settled(LongSupplier number) {
    AtomicLong last = new AtomicLong(-1);
    AtomicLong exportSeen = new AtomicLong(collector.metricExports() + 1);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      if (collector.metricExports() <= exportSeen.get()) {
        return false;
      }
      exportSeen.set(collector.metricExports());
      long now = number.getAsLong();
      return last.getAndSet(now) == now;
    });
    return last.get();
  }

  /** Connections lent out by user-service's pools since they started, over every shard. */
  private static long acquired() {
    return sum(collector.latestMetric("user-service", "db.client.connection.acquired").orElseThrow(), null);
  }

  /** Connections in use now, over every shard. */
  private static long used() {
    return sum(collector.latestMetric("user-service", "db.client.connection.count").orElseThrow(), "used");
  }

  private static long sum(Metric metric, String state) {
    return metric.getSum().getDataPointsList().stream()
        .filter(p -> state == null || p.getAttributesList().stream().anyMatch(
            a -> a.getKey().equals("db.client.connection.state") && a.getValue().getStringValue().equals(state)))
        .mapToLong(NumberDataPoint::getAsInt).sum();
  }

  private static long id(byte[] message) {
    try {
      return User.parseFrom(message).getId();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
