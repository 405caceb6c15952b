package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.testing.StreamRecorder;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import dev.trellis.user.v1.UserUpdate;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's bucket moves to another shard while a client renames the user without pause through one replica and
 * two subscribers (one following the user, one following everyone) listen on the other: each sees every
 * acknowledged rename exactly once and in order, those written on the old shard and those on the new one.
 */
class SubscribeAcrossMoveIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @RegisterExtension
  static final ServiceExtension writer = ServiceExtension.of("user-service")
      .setting("TRELLIS_DIRECTORY_POLL", "100ms").setting("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms")
      // The renames loop as fast as the machine lets them: limits off, this test is about the events.
      .setting("TRELLIS_RATE_LIMIT_PEER", "off").setting("TRELLIS_RATE_LIMIT_ADMIN", "off");
  @RegisterExtension
  static final ServiceExtension listener = ServiceExtension.replicaOf(writer)
      .setting("TRELLIS_DIRECTORY_POLL", "100ms").setting("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms");

  @Test
  void subscribersSeeEveryRenameOnceAndInOrderAcrossTheMove() throws Exception {
    UserServiceBlockingStub admin = admin(writer);
    User user = admin.createUser(CreateUserRequest.newBuilder().setEmail(UUID.randomUUID() + "@example.com")
        .setName("before").build());
    StreamRecorder<SubscribeRequest, UserUpdate> one = subscribe(user, SubscribeRequest.newBuilder()
        .addUserIds(user.getId()).build());
    StreamRecorder<SubscribeRequest, UserUpdate> all = subscribe(user, SubscribeRequest.getDefaultInstance());

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger acked = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    int moveBucket = ShardId.bucketOf(user.getId());
    try (ShardedDatabase db = ShardedDatabase.builder(writer.topology()).kind("user")
        .pool(ShardsExtension.SMALL_POOLS).build();
        ExecutorService renames = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> renaming = renames.submit(() -> {
        while (!stop.get()) {
          String name = "rename " + (acked.get() + 1);
          try {
            rename(admin(writer), user, name);
            acked.incrementAndGet();
          } catch (StatusRuntimeException e) {
            // Refused by the fence inside its transaction, or while no shard owns the bucket: never applied.
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            refused.incrementAndGet();
          }
        }
        return null;
      });
      await().atMost(WAIT).until(() -> acked.get() >= 20);
      int to = (db.router().shardOfBucket(moveBucket) + 1) % db.shards().size();
      BucketMover.Report report = BucketMover.builder(db).deleteAfter(Duration.ofMillis(500)).build()
          .move(moveBucket, to);
      int atMove = acked.get();
      await().atMost(WAIT).until(() -> acked.get() >= atMove + 20);
      stop.set(true);
      renaming.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(report.to()).isEqualTo(to);
      System.out.printf("renames across the move: %d acknowledged (%d after), %d refused and retried%n",
          acked.get(), acked.get() - atMove, refused.get());
    }

    List<String> expected = IntStream.rangeClosed(1, acked.get()).mapToObj(i -> "rename " + i).toList();
    for (StreamRecorder<SubscribeRequest, UserUpdate> subscriber : List.of(one, all)) {
      String last = expected.get(expected.size() - 1);
      await().atMost(WAIT).until(() -> names(subscriber, user).contains(last));
      assertThat(names(subscriber, user)).as("renames seen").containsExactlyElementsOf(expected);
    }
  }

  /**
   * The hold is kept while the source shard's outbox is merely behind, not unreadable: a long transaction on the
   * source keeps its horizon back, so the feed can read it but delivers nothing there; the user's bucket moves and
   * the user is renamed on the new shard, and that rename waits until the source's renames were delivered.
   */
  @Test
  void aSourceShardWhoseOutboxLagsHoldsTheMovedUsersNewEventsUntilItsOwnWereDelivered() throws Exception {
    UserServiceBlockingStub admin = admin(writer);
    User user = admin.createUser(CreateUserRequest.newBuilder().setEmail(UUID.randomUUID() + "@example.com")
        .setName("before").build());
    StreamRecorder<SubscribeRequest, UserUpdate> all = subscribe(user, SubscribeRequest.getDefaultInstance());
    int bucket = ShardId.bucketOf(user.getId());
    try (ShardedDatabase db = ShardedDatabase.builder(writer.topology()).kind("user")
        .pool(ShardsExtension.SMALL_POOLS).build()) {
      int from = db.router().shardOfBucket(bucket);
      int to = (from + 1) % db.shards().size();
      // A user on neither shard: its rename arriving shows the feed went on reading while the source lagged.
      User elsewhere = null;
      for (int i = 0; elsewhere == null || Set.of(from, to).contains(db.router().shardOfId(elsewhere.getId())); i++) {
        assertThat(i).as("a user on a third shard within 100 creates").isLessThan(100);
        elsewhere = admin.createUser(CreateUserRequest.newBuilder().setEmail(UUID.randomUUID() + "@example.com")
            .setName("elsewhere").build());
      }
      ShardSpec source = writer.topology().shards().get(from);
      try (Connection lagging = DriverManager.getConnection(source.jdbcUrl(), source.user(), source.password())) {
        lagging.setAutoCommit(false);
        try (Statement statement = lagging.createStatement()) {
          statement.execute("SELECT pg_current_xact_id()"); // holds the source's horizon back while it is open
        }
        rename(admin, user, "on source 1");
        rename(admin, user, "on source 2");
        BucketMover.builder(db).deleteAfter(Duration.ofMillis(500)).build().move(bucket, to);
        // Refused (never applied) until the replica polls the directory; then applied once, on the target.
        await().atMost(WAIT).ignoreExceptions().until(() -> {
          rename(admin, user, "on target");
          return true;
        });
        User probe = elsewhere;
        rename(admin, probe, "after the move");
        await().atMost(WAIT).until(() -> all.messages().stream()
            .anyMatch(u -> u.getUserId() == probe.getId() && u.getUser().getName().equals("after the move")));
        assertThat(movedNames(all, user)).as("nothing of the user while the source lags").isEmpty();
        lagging.rollback();
      }
    }
    await().atMost(WAIT).until(() -> movedNames(all, user).contains("on target"));
    assertThat(movedNames(all, user)).containsExactly("on source 1", "on source 2", "on target");
    all.call().cancel("done", null);
  }

  private static List<String> movedNames(StreamRecorder<SubscribeRequest, UserUpdate> subscriber, User user) {
    return subscriber.messages().stream().filter(u -> u.getUserId() == user.getId())
        .map(u -> u.getUser().getName()).filter(n -> n.startsWith("on ")).toList();
  }

  /** The renames of the user that a subscriber got, from the first on. */
  private static List<String> names(StreamRecorder<SubscribeRequest, UserUpdate> subscriber, User user) {
    return new ArrayList<>(subscriber.messages()).stream().filter(u -> u.getUserId() == user.getId())
        .map(u -> u.getUser().getName()).dropWhile(n -> !n.equals("rename 1")).toList();
  }

  /** Subscribes on the listening replica; returns once a probe rename of the user arrives (it is live then). */
  private static StreamRecorder<SubscribeRequest, UserUpdate> subscribe(User user, SubscribeRequest request) {
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = StreamRecorder.reading();
    listener.stub(UserServiceGrpc::newStub, writer.tokens().admin(1)).subscribeToUpdates(request, subscriber);
    AtomicInteger probes = new AtomicInteger();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      rename(admin(writer), user, "probe " + probes.incrementAndGet());
      return subscriber.messages().stream().anyMatch(u -> u.getUser().getName().startsWith("probe "));
    });
    return subscriber;
  }

  private static void rename(UserServiceBlockingStub admin, User user, String name) {
    admin.updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setUser(User.newBuilder().setName(name))
        .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
  }

  private static UserServiceBlockingStub admin(ServiceExtension replica) {
    return replica.stub(UserServiceGrpc::newBlockingStub, replica.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }
}
