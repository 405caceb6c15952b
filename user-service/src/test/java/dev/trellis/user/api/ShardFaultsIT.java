package dev.trellis.user.api;

import static dev.trellis.testing.ErrorDetails.retryDelay;
import static dev.trellis.user.api.Errors.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.stream.SubscriptionSender;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.testing.StreamRecorder;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import dev.trellis.user.v1.UserUpdate;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * user-service with one of its two shards stopped or frozen (issue 10, items 5, 6 and 9): what still works, what
 * fails and how, over real stubs, Netty and PostgreSQL. Shards of its own: the shared test shards never stop.
 */
class ShardFaultsIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String SHARD_1 = "shards/user/shard-1";
  private static final String DOWN = "a user shard is unavailable; retry later";

  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.own(2);
  /**
   * Short bounds so that faults show in seconds: statements 1 s (a silent socket 2 s), a check every 200 ms; and a
   * connection wait of 3 s, longer than the 1 s deadlines below, to tell "failed fast" from "waited for the pool".
   */
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service").onShards(shards)
      .setting("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms")
      .setting("TRELLIS_SHARD_CONNECTION_TIMEOUT", "3s")
      .setting("TRELLIS_SHARD_STATEMENT_TIMEOUT", "1s")
      .setting("TRELLIS_SHARD_LOCK_TIMEOUT", "500ms")
      .setting("TRELLIS_SHARD_PROBE_INTERVAL", "200ms");

  private static User onShard0;
  private static User onShard1;

  @BeforeAll
  static void oneUserOnEachShard() {
    BucketDirectory directory = BucketDirectory.evenRanges(2);
    for (int i = 0; onShard0 == null || onShard1 == null; i++) {
      User user = admin().createUser(CreateUserRequest.newBuilder()
          .setEmail("fault-" + i + "-" + UUID.randomUUID() + "@example.com").setName("user " + i).build());
      if (directory.shardOf(ShardId.bucketOf(user.getId())) == 0) {
        onShard0 = onShard0 == null ? user : onShard0;
      } else {
        onShard1 = onShard1 == null ? user : onShard1;
      }
    }
  }

  @AfterEach
  void bringShard1Back() {
    shards.servers().thaw(1);
    shards.servers().start(1);
    await().atMost(WAIT).until(() -> health(SHARD_1) == ServingStatus.SERVING);
  }

  @Test
  void aUserFollowingItselfSubscribesWhileAnotherShardIsDown() {
    stopShard1();

    Subscriber me = subscribe(users.tokens().user(onShard0.getId()), onShard0.getId());

    awaitArrival(me, onShard0);
    assertThat(me.updates.ended()).isFalse();
    assertThat(me.headers.get().get(SubscriptionSender.UNAVAILABLE_SHARDS)).as("it needs no other shard").isNull();
  }

  @Test
  void anAllUsersSubscriptionOpensWithAShardDownSaysSoAndCatchesUpWhenItReturns() {
    stopShard1();

    Subscriber all = subscribe(users.tokens().admin(1));

    await().atMost(WAIT).until(() -> all.headers.get() != null || all.updates.ended());
    assertThat(all.headers.get().get(SubscriptionSender.UNAVAILABLE_SHARDS)).isEqualTo("1/2");
    awaitArrival(all, onShard0);

    shards.servers().start(1);
    String back = "back " + UUID.randomUUID();
    await().atMost(WAIT).ignoreExceptions().until(() -> {
      rename(onShard1, back);
      return true;
    });
    await().atMost(WAIT).until(() -> named(all, back) == 1);
    // Once, not again: a later change on the other shard arrives after it, and it has not come twice.
    String last = awaitArrival(all, onShard0);
    assertThat(named(all, back)).isEqualTo(1);
    assertThat(named(all, last)).isEqualTo(1);
    assertThat(all.updates.ended()).isFalse();
  }

  @Test
  void aFrozenShardAnswersUnavailableWithRetryInfoWithinSeconds() throws Exception {
    shards.servers().freeze(1);
    GetUserRequest frozen = GetUserRequest.newBuilder().setId(onShard1.getId()).build();

    // A client without a deadline, and one with a long one: neither waits for it; both get UNAVAILABLE soon.
    for (UserServiceBlockingStub stub : new UserServiceBlockingStub[] {
        users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1)),
        admin().withDeadlineAfter(5, TimeUnit.MINUTES)}) {
      StatusRuntimeException e = failureWithin(Duration.ofSeconds(20), () -> stub.getUser(frozen));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).startsWith("a user shard ");
      assertThat(retryDelay(e.getStatus(), e.getTrailers())).isPositive();
    }
    // The other shard's users are served meanwhile.
    assertThat(admin().getUser(GetUserRequest.newBuilder().setId(onShard0.getId()).build()).getEmail())
        .isEqualTo(onShard0.getEmail());

    shards.servers().thaw(1);
    await().atMost(WAIT).ignoreExceptions().until(() -> admin().getUser(frozen).getId() == onShard1.getId());
  }

  @Test
  void healthStaysServingAndNamesTheShardThatIsDown() {
    assertThat(health(SHARD_1)).isEqualTo(ServingStatus.SERVING);

    stopShard1();

    assertThat(health("")).isEqualTo(ServingStatus.SERVING);
    assertThat(health(UserServiceGrpc.SERVICE_NAME)).isEqualTo(ServingStatus.SERVING);
    assertThat(health("shards/user/shard-0")).isEqualTo(ServingStatus.SERVING);
    assertThat(health(SHARD_1)).isEqualTo(ServingStatus.NOT_SERVING);
  }

  @Test
  void listUsersFailsFastWithUnavailableNamingNothingInternal() {
    stopShard1();

    // A deadline shorter than the pool's connection wait: only a shard known to be down fails before it.
    StatusRuntimeException e = failure(() -> admin().withDeadlineAfter(1, TimeUnit.SECONDS)
        .listUsers(ListUsersRequest.getDefaultInstance()).hasNext());

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo(DOWN)
        .doesNotContain("shard-1", "localhost", Integer.toString(shards.servers().port(1)));
    assertThat(retryDelay(e.getStatus(), e.getTrailers())).isPositive();
  }

  private static void stopShard1() {
    shards.servers().stop(1);
    await().atMost(WAIT).until(() -> health(SHARD_1) == ServingStatus.NOT_SERVING);
  }

  private static UserServiceBlockingStub admin() {
    return users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(users.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  private static void rename(User user, String name) {
    admin().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName(name)).setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
  }

  /** A subscription, and the response headers it got. */
  private record Subscriber(StreamRecorder<SubscribeRequest, UserUpdate> updates, AtomicReference<Metadata> headers) {}

  private static Subscriber subscribe(String token, long... ids) {
    Subscriber subscriber = new Subscriber(StreamRecorder.reading(), new AtomicReference<>());
    SubscribeRequest.Builder request = SubscribeRequest.newBuilder();
    for (long id : ids) {
      request.addUserIds(id);
    }
    users.stub(UserServiceGrpc::newStub, token)
        .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(subscriber.headers(), new AtomicReference<>()))
        .subscribeToUpdates(request.build(), subscriber.updates());
    return subscriber;
  }

  /**
   * Renames {@code user} until the subscriber sees a rename (it cannot tell when its subscription went live); returns
   * the name that arrived.
   */
  private static String awaitArrival(Subscriber subscriber, User user) {
    AtomicInteger probes = new AtomicInteger();
    String prefix = "probe " + UUID.randomUUID() + " ";
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
      assertThat(subscriber.updates().ended()).as("the subscription is open").isFalse();
      rename(user, prefix + probes.incrementAndGet());
      return subscriber.updates().messages().stream().anyMatch(u -> u.getUser().getName().startsWith(prefix));
    });
    return subscriber.updates().messages().stream().map(u -> u.getUser().getName())
        .filter(n -> n.startsWith(prefix)).findFirst().orElseThrow();
  }

  private static long named(Subscriber subscriber, String name) {
    return subscriber.updates().messages().stream().filter(u -> u.getUser().getName().equals(name)).count();
  }

  /** The status {@code call} fails with, failing the test if it has not ended within {@code max}. */
  private static StatusRuntimeException failureWithin(Duration max, Supplier<?> call) throws InterruptedException {
    CompletableFuture<?> running = CompletableFuture.supplyAsync(call, Executors.newVirtualThreadPerTaskExecutor());
    try {
      Object value = running.get(max.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
      return (StatusRuntimeException) e.getCause();
    } catch (TimeoutException e) {
      running.cancel(true);
      throw new AssertionError("the call still runs after " + max + ": it hangs", e);
    }
  }
}
