package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.stream.FlowControlledSender;
import dev.trellis.platform.stream.SubscriptionSender;
import dev.trellis.testing.LogCapture;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.StreamRecorder;
import dev.trellis.testing.TestTokens;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import dev.trellis.user.v1.UserUpdate;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every long stream ends the same way when the server begins to shut down (issue 10, item 7): at once, with
 * UNAVAILABLE and a message that says so, whatever the grace period; a listing whose client had stopped reading
 * included (it gets its status after the messages already on their way, when it reads again).
 */
class StreamShutdownIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** More than the server's 32 KiB send queue and a 1 KiB client window hold, so that the listing stalls. */
  private static final int USERS = 150;

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms");

  @BeforeAll
  static void manyUsersWithLongNames() {
    for (int i = 0; i < USERS; i++) {
      admin().createUser(CreateUserRequest.newBuilder().setEmail("shutdown-" + i + "@example.com")
          .setName(i + " " + "n".repeat(190)).build());
    }
  }

  @Test
  void listingsAndSubscriptionsEndAtOnceWithUnavailableWhenShutdownBegins() throws Exception {
    ServiceExtension.Replica doomed = users.startReplica(Map.of("TRELLIS_SHUTDOWN_GRACE", "10m"));
    ManagedChannel narrow = NettyChannelBuilder.forAddress("127.0.0.1", doomed.port()).usePlaintext()
        .initialFlowControlWindow(1024).build();
    try (LogCapture accessLog = LogCapture.of("trellis.access")) {
      StreamRecorder<ListUsersRequest, User> paused = StreamRecorder.window(0);
      UserServiceGrpc.newStub(narrow).withCallCredentials(TestTokens.bearer(token()))
          .listUsers(ListUsersRequest.getDefaultInstance(), paused);
      StreamRecorder<SubscribeRequest, UserUpdate> subscriber = StreamRecorder.reading();
      doomed.stub(UserServiceGrpc::newStub, token()).subscribeToUpdates(SubscribeRequest.getDefaultInstance(),
          subscriber);
      awaitLive(subscriber);

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(doomed::close);

      assertThat(subscriber.awaitStatus(WAIT)).satisfies(status -> {
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).isEqualTo(SubscriptionSender.SHUTTING_DOWN);
      });
      // The stalled listing was ended by the server too, not left for the ten-minute grace period: its access
      // line is written when the server closes the call.
      await().atMost(WAIT).until(() -> accessLog.lines().stream().anyMatch(line ->
          line.path("method").asText().endsWith("/ListUsers") && line.path("status").asText().equals("UNAVAILABLE")));
      assertThat(paused.ended()).as("its status waits behind the messages it has not read").isFalse();

      paused.call().request(Integer.MAX_VALUE);

      Status listed = paused.awaitStatus(WAIT);
      assertThat(listed.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(listed.getDescription()).isEqualTo(FlowControlledSender.SHUTTING_DOWN);
      assertThat(paused.messages()).hasSizeLessThan(USERS);
      stopping.get(WAIT.toSeconds(), TimeUnit.SECONDS); // long before the grace period ends
    } finally {
      narrow.shutdownNow();
    }
  }

  /** The subscription cannot be seen to go live: rename a user through the other replica until it shows. */
  private static void awaitLive(StreamRecorder<SubscribeRequest, UserUpdate> subscriber) {
    User probe = admin().createUser(CreateUserRequest.newBuilder().setEmail("probe@example.com").setName("probe")
        .build());
    AtomicInteger probes = new AtomicInteger();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
      admin().updateUser(UpdateUserRequest.newBuilder().setId(probe.getId())
          .setUser(User.newBuilder().setName("probe " + probes.incrementAndGet()))
          .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
      return !subscriber.messages().isEmpty();
    });
  }

  private static String token() {
    return users.tokens().admin(1);
  }

  private static UserServiceBlockingStub admin() {
    return users.stub(UserServiceGrpc::newBlockingStub, token()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }
}
