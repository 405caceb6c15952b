package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.reshard.Resharder;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRecord;
import dev.trellis.testing.RetryingCaller;
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
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Subscriptions opened on user-service (over Netty, started with 4 shards) before two shards join follow them and
 * follow them out again: while a writer renames users without a pause, two users' buckets move to the joining
 * shards 5 and 6 and back, and the reshard program then drains those shards. An all-users subscription and a
 * one-user subscription see every acknowledged rename once and in order, those written on the joining shards
 * included; the service's health reports the fifth shard while it serves, and no more once it is drained.
 * ReshardUnderLoadIT asserts the same over a whole 4 -> 6 -> 4 reshard; this is its light sibling.
 */
class SubscriptionAcrossShardSetIT {
  private static final String POLL = "50ms";
  private static final Duration GRACE = Duration.ofMillis(150);
  private static final String SHARD_5 = "shards/user/shard-4";
  private static final ShardPoolSettings MOVER_POOLS =
      ShardsExtension.SMALL_POOLS.withDirectoryPoll(Duration.ofMillis(50));

  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  // Rate limits off: the writer renames as fast as the calls return.
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_DIRECTORY_POLL", POLL).setting("TRELLIS_USER_UPDATES_POLL_INTERVAL", "20ms")
      .setting("TRELLIS_RATE_LIMIT_PEER", "off").setting("TRELLIS_RATE_LIMIT_USER", "off")
      .setting("TRELLIS_RATE_LIMIT_ADMIN", "off");

  @Test
  void subscriptionsOpenedBeforeShardsJoinSeeEveryRenameOnceInOrderAcrossTheirJoiningAndLeaving()
      throws Exception {
    List<User> followed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      followed.add(admin().createUser(CreateUserRequest.newBuilder().setEmail("shard-set-" + i + "@example.com")
          .setName("created").build()));
    }
    User moverA = followed.get(0);
    User moverB = followed.get(1);
    StreamRecorder<SubscribeRequest, UserUpdate> all = StreamRecorder.reading();
    StreamRecorder<SubscribeRequest, UserUpdate> one = StreamRecorder.reading();
    users.stub(UserServiceGrpc::newStub, users.tokens().admin(1))
        .subscribeToUpdates(SubscribeRequest.getDefaultInstance(), all);
    users.stub(UserServiceGrpc::newStub, users.tokens().admin(1))
        .subscribeToUpdates(SubscribeRequest.newBuilder().addUserIds(moverA.getId()).build(), one);
    // Live once a probe rename reaches both; the renames counted start after it. The calls above return before the
    // server has subscribed, and a subscription sees what commits after it: probe again until both saw one.
    AtomicInteger probes = new AtomicInteger();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      rename(moverA, "probe " + probes.incrementAndGet());
      return names(all, moverA).stream().anyMatch(n -> n.startsWith("probe "))
          && names(one, moverA).stream().anyMatch(n -> n.startsWith("probe "));
    });

    Writer writer = new Writer(followed);
    writer.start();
    ShardTopology four = users.topology();
    ShardTopology six = withTwoMore(four);
    ShardMigrator.join(six, 6, "classpath:db/migration/users");
    int bucketA = ShardId.bucketOf(moverA.getId());
    int bucketB = ShardId.bucketOf(moverB.getId());
    try (ShardedDatabase db = ShardedDatabase.builder(four).kind("user").pool(MOVER_POOLS).build()) {
      int homeA = db.router().shardOfBucket(bucketA);
      int homeB = db.router().shardOfBucket(bucketB);
      await().atMost(Duration.ofSeconds(30)).until(() -> health(SHARD_5) == ServingStatus.SERVING);
      BucketMover mover = BucketMover.builder(db).deleteAfter(GRACE).build();
      writer.awaitMore(10);
      mover.move(bucketA, 4);
      writer.awaitMore(10);
      mover.move(bucketB, 5);
      writer.awaitMore(20);
      mover.move(bucketA, homeA);
      writer.awaitMore(10);
      mover.move(bucketB, homeB);
    }
    // The reshard program to 4 shards: nothing left to move, so it records shards 5 and 6 DRAINED.
    Resharder.builder(six, "classpath:db/migration/users").database("users").shards(4).grace(GRACE).build().run();
    assertThat(directory(four).shards()).extracting(ShardRecord::state).containsExactly(ShardRecord.State.ACTIVE,
        ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.DRAINED,
        ShardRecord.State.DRAINED);
    writer.awaitMore(20);
    writer.stop();
    // Health follows the shard set too: a drained shard has no entry any more.
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try {
        health(SHARD_5);
        return false;
      } catch (StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.NOT_FOUND;
      }
    });

    assertThat(writer.retrying.failures()).as("only retryable statuses, each retry succeeded").isEmpty();
    for (User user : followed) {
      List<String> acked = writer.acked.get(user.getId());
      await().atMost(Duration.ofSeconds(30)).until(() -> renames(all, user).size() >= acked.size());
      assertThat(renames(all, user)).as("user %d's renames, all-users subscription", user.getId())
          .containsExactlyElementsOf(acked);
    }
    List<String> ackedA = writer.acked.get(moverA.getId());
    await().atMost(Duration.ofSeconds(30)).until(() -> renames(one, moverA).size() >= ackedA.size());
    assertThat(renames(one, moverA)).as("the one-user subscription").containsExactlyElementsOf(ackedA);
    assertThat(all.error()).isNull();
    assertThat(one.error()).isNull();
    // Renames were written on the shards that joined: the subscriptions followed them there.
    for (int shard = 4; shard < 6; shard++) {
      assertThat(ShardsExtension.dsl(six.shards().get(shard)).fetchCount(DSL.table("user_events"),
          DSL.field("user_id", Long.class).in(moverA.getId(), moverB.getId())))
          .as("renames written on joined shard %d", shard).isPositive();
    }
    all.call().cancel("done", null);
    one.call().cancel("done", null);
  }

  private static ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(users.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  /** The user's names as the subscriber got them. */
  private static List<String> names(StreamRecorder<SubscribeRequest, UserUpdate> subscriber, User user) {
    return subscriber.messages().stream().filter(u -> u.getUserId() == user.getId())
        .map(u -> u.getUser().getName()).toList();
  }

  /** The writer's renames of the user the subscriber got (after the probe). */
  private static List<String> renames(StreamRecorder<SubscribeRequest, UserUpdate> subscriber, User user) {
    return names(subscriber, user).stream().filter(n -> n.startsWith("r")).toList();
  }

  private static ShardTopology withTwoMore(ShardTopology four) {
    ShardTopology more = shards.newDatabase("users_shard_set_more");
    List<ShardSpec> specs = new ArrayList<>(four.shards());
    for (int i = 0; i < 2; i++) {
      ShardSpec s = more.shards().get(i);
      specs.add(new ShardSpec(ShardTopology.shardName(4 + i), s.jdbcUrl(), s.user(), s.password()));
    }
    return new ShardTopology(specs);
  }

  private static BucketDirectory directory(ShardTopology topology) {
    return DirectoryStore.readNewest(topology.shards().stream().map(ShardsExtension::dsl).toList()).orElseThrow();
  }

  private static UserServiceBlockingStub admin() {
    return users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static void rename(User user, String name) {
    admin().updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setUser(User.newBuilder().setName(name))
        .setUpdateMask(FieldMask.newBuilder().addPaths("name")).build());
  }

  /**
   * Renames the users in turn ("r1", "r2", ...) as fast as the calls return; a call refused retryably (UNAVAILABLE,
   * ABORTED: its bucket was moving) is repeated until it succeeds, as a client would ({@link RetryingCaller}).
   */
  private static final class Writer {
    final List<User> targets;
    final Map<Long, List<String>> acked = new ConcurrentHashMap<>();
    final RetryingCaller retrying = new RetryingCaller(Duration.ofSeconds(30));
    final AtomicInteger count = new AtomicInteger();
    final AtomicBoolean stop = new AtomicBoolean();
    Thread thread;

    Writer(List<User> targets) {
      this.targets = targets;
      targets.forEach(u -> acked.put(u.getId(), new CopyOnWriteArrayList<>()));
    }

    void start() {
      thread = Thread.ofPlatform().daemon().name("shard-set-writer").start(() -> {
        for (int n = 1; !stop.get() && retrying.failures().isEmpty(); n++) {
          User user = targets.get(n % targets.size());
          String name = "r" + n;
          if (renamed(user, name)) {
            acked.get(user.getId()).add(name);
            count.incrementAndGet();
          }
        }
      });
    }

    private boolean renamed(User user, String name) {
      return retrying.call(() -> {
        rename(user, name);
        return true;
      }) != null;
    }

    /** Waits until {@code renames} more renames were acknowledged. */
    void awaitMore(int renames) {
      int target = count.get() + renames;
      await().atMost(Duration.ofSeconds(60)).until(() -> count.get() >= target || !retrying.failures().isEmpty());
    }

    void stop() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
    }
  }
}
