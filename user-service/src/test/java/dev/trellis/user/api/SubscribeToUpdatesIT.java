package dev.trellis.user.api;

import static dev.trellis.user.api.Errors.badFields;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.StreamRecorder;
import dev.trellis.testing.TestTokens;
import dev.trellis.testing.ServiceExtension;
import com.google.protobuf.FieldMask;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.DeleteUserRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceStub;
import dev.trellis.user.v1.UserUpdate;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SubscribeToUpdates with two replicas on the same shards: changes made through one reach subscribers of the
 * other, in order per user; slow subscribers are cut off; shutdown ends streams with UNAVAILABLE.
 */
class SubscribeToUpdatesIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String POLL_INTERVAL = "TRELLIS_USER_UPDATES_POLL_INTERVAL";
  /** Subscribers of replica A may fall 8 updates behind. */
  @RegisterExtension
  static final ServiceExtension replicaA = ServiceExtension.of("user-service").setting(POLL_INTERVAL, "20ms")
      .setting("TRELLIS_USER_SUBSCRIBER_BUFFER", "8");
  @RegisterExtension
  static final ServiceExtension replicaB = ServiceExtension.replicaOf(replicaA).setting(POLL_INTERVAL, "20ms");

  private static UserServiceBlockingStub adminOnB() {
    return replicaB.stub(UserServiceGrpc::newBlockingStub, admin()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static String admin() {
    return replicaA.tokens().admin(1);
  }

  private static User createOnB(String name) {
    return adminOnB().createUser(CreateUserRequest.newBuilder()
        .setEmail(UUID.randomUUID() + "@example.com").setName(name).build());
  }

  private static void renameOnB(User user, String name) {
    adminOnB().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName(name)).setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
  }

  /**
   * Subscribes on replica A and returns once the subscription is live: a client cannot see that directly, so it
   * renames a probe user through replica B until a rename arrives.
   */
  private static StreamRecorder<SubscribeRequest, UserUpdate> subscribeOnA(String token, User probe, long... ids) {
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = StreamRecorder.reading();
    SubscribeRequest.Builder request = SubscribeRequest.newBuilder();
    for (long id : ids) {
      request.addUserIds(id);
    }
    replicaA.stub(UserServiceGrpc::newStub, token).subscribeToUpdates(request.build(), subscriber);
    AtomicInteger probes = new AtomicInteger();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      renameOnB(probe, "probe " + probes.incrementAndGet());
      return subscriber.messages().stream().anyMatch(u -> u.getUser().getName().startsWith("probe "));
    });
    return subscriber;
  }

  @Test
  void changesMadeThroughAnotherReplicaArriveInOrder() {
    User user = createOnB("Watched");
    User other = createOnB("Not watched");
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = subscribeOnA(admin(), user, user.getId());

    renameOnB(other, "ignored");
    for (int i = 1; i <= 5; i++) {
      renameOnB(user, "rename " + i);
    }
    adminOnB().deleteUser(DeleteUserRequest.newBuilder().setId(user.getId()).build());

    await().atMost(WAIT).until(() -> subscriber.messages().stream().anyMatch(u -> u.getEventType().equals("DELETED")));
    List<UserUpdate> after = subscriber.messages().stream()
        .dropWhile(u -> !u.getUser().getName().equals("rename 1")).toList();
    assertThat(after).extracting(u -> u.getEventType() + " " + u.getUser().getName()).containsExactly(
        "UPDATED rename 1", "UPDATED rename 2", "UPDATED rename 3", "UPDATED rename 4", "UPDATED rename 5",
        "DELETED rename 5");
    assertThat(subscriber.messages()).allSatisfy(u -> assertThat(u.getUserId()).isEqualTo(user.getId()));
    assertThat(after.get(0).getTimestamp()).isPositive();
  }

  @Test
  void anAdminWithNoIdsSeesEveryUserIncludingNewOnes() {
    User probe = createOnB("Probe for all");
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = subscribeOnA(admin(), probe);

    User fresh = createOnB("Brand new");

    await().atMost(WAIT).until(() -> subscriber.messages().stream()
        .anyMatch(u -> u.getUserId() == fresh.getId() && u.getEventType().equals("CREATED")));
  }

  @Test
  void aUserFollowsOnlyItself() {
    User me = createOnB("Me");
    User other = createOnB("Other");
    StreamRecorder<SubscribeRequest, UserUpdate> own = subscribeOnA(replicaA.tokens().user(me.getId()), me, me.getId());
    assertThat(own.ended()).isFalse();

    assertThat(failureOf(replicaA.tokens().user(me.getId()), other.getId())).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(failureOf(replicaA.tokens().user(me.getId()))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(badFields(() -> replicaA.stub(UserServiceGrpc::newBlockingStub, admin())
        .subscribeToUpdates(SubscribeRequest.newBuilder().addUserIds(0).build()).hasNext()))
        .containsExactly("user_ids[0]");
  }

  @Test
  void aSubscriberThatDoesNotReadIsCutOffWithResourceExhausted() {
    User user = createOnB("Busy");
    // A small HTTP/2 window, so that what the client does not read backs up into the server quickly.
    ManagedChannel narrow = NettyChannelBuilder.forAddress("127.0.0.1", replicaA.port()).usePlaintext()
        .initialFlowControlWindow(1024).build();
    try {
      StreamRecorder<SubscribeRequest, UserUpdate> stuck = StreamRecorder.window(0);
      UserServiceGrpc.newStub(narrow).withCallCredentials(TestTokens.bearer(admin()))
          .subscribeToUpdates(SubscribeRequest.newBuilder().addUserIds(user.getId()).build(), stuck);
      awaitSubscribed(user);

      // ~75 KB of updates the client does not read: twice what its window, the server's 32 KB send queue and
      // the replica's buffer of 8 updates together hold.
      int changes = 300;
      for (int i = 0; i < changes; i++) {
        renameOnB(user, i + "x".repeat(190));
      }
      // The status waits behind the queued messages (HTTP/2 trailers come after the data), so read now.
      stuck.call().request(Integer.MAX_VALUE);

      await().atMost(WAIT).until(() -> stuck.ended());
      assertThat(stuck.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(stuck.messages().size()).as("cut off, not buffered").isLessThan(changes);
    } finally {
      narrow.shutdownNow();
    }
  }

  /** Waits until replica A's subscription of {@code user} is live: a subscriber of its own sees a probe rename. */
  private static void awaitSubscribed(User user) {
    subscribeOnA(admin(), user, user.getId()).call().cancel("probe done", null);
  }

  @Test
  void shutdownEndsOpenSubscriptionsWithUnavailable() {
    ServiceExtension.Replica doomed = replicaB.startReplica(Map.of());
    User probe = createOnB("Probe for shutdown");
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = StreamRecorder.reading();
    doomed.stub(UserServiceGrpc::newStub, admin()).subscribeToUpdates(
        SubscribeRequest.newBuilder().addUserIds(probe.getId()).build(), subscriber);
    AtomicInteger probes = new AtomicInteger();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      renameOnB(probe, "probe " + probes.incrementAndGet());
      return !subscriber.messages().isEmpty();
    });

    doomed.close();

    await().atMost(WAIT).until(() -> subscriber.ended());
    Status status = subscriber.awaitStatus(WAIT);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    // Ended by the feed as shutdown began, not cut at the end of the grace period (also UNAVAILABLE).
    assertThat(status.getDescription()).isEqualTo("the server is shutting down; subscribe again");
  }

  private static Status.Code failureOf(String token, long... ids) {
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = StreamRecorder.reading();
    SubscribeRequest.Builder request = SubscribeRequest.newBuilder();
    for (long id : ids) {
      request.addUserIds(id);
    }
    replicaA.stub(UserServiceGrpc::newStub, token).subscribeToUpdates(request.build(), subscriber);
    await().atMost(WAIT).until(() -> subscriber.ended());
    return subscriber.awaitStatus(WAIT).getCode();
  }
}
