package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.reshard.ReshardPlan;
import dev.trellis.platform.data.reshard.ReshardReport;
import dev.trellis.platform.data.reshard.ReshardStatus;
import dev.trellis.platform.data.reshard.Resharder;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.testing.RetryingCaller;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * user-service over Netty under a small write load (creates and renames from two clients) while the reshard program
 * grows its database from 4 shards to 5, and the joining shard (the target of the moves) is stopped between a
 * bucket's copy and its cut-over: the program fails, the shard comes back, a rerun finishes the move it left and the
 * rest. Every acknowledged write is then once on the shard the directory names, and the clients saw only retryable
 * statuses (UNAVAILABLE while the shard was down), whose retries succeeded.
 *
 * <p>To stay light, the buckets that hold no user when the test begins are given to their 5-shard owners by one
 * directory version before the load starts (an empty bucket has nothing to copy), so the program moves only the
 * buckets with data: a few dozen moves instead of 308.
 */
class ReshardTargetStopIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();
  /** The joining shard, on a server of its own: the test stops it. */
  @RegisterExtension
  static final ShardsExtension joining = ShardsExtension.own(1);

  // Rate limits off: the clients call in a loop.
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service").setting("TRELLIS_DIRECTORY_POLL", "50ms")
      .setting("TRELLIS_RATE_LIMIT_PEER", "off").setting("TRELLIS_RATE_LIMIT_USER", "off")
      .setting("TRELLIS_RATE_LIMIT_ADMIN", "off");

  private static final String MIGRATIONS = "classpath:db/migration/users";
  private static final Duration GRACE = Duration.ofMillis(150); // > 2 polls
  private static final int SEEDED = 40;
  private static final int MAX_USERS = 120;

  @Test
  void aTargetShardStoppedBetweenCopyAndCutOverFailsTheRunAndARerunFinishesWithEveryAckedWriteOnceOnItsOwner()
      throws Exception {
    ShardTopology four = users.topology();
    ShardSpec spare = joining.newDatabase("users_target").shards().get(0);
    List<ShardSpec> specs = new ArrayList<>(four.shards());
    specs.add(new ShardSpec(ShardTopology.shardName(4), spare.jdbcUrl(), spare.user(), spare.password()));
    ShardTopology five = new ShardTopology(specs);
    List<DSLContext> all = five.shards().stream().map(ShardsExtension::dsl).toList();

    Load load = new Load();
    for (int i = 0; i < SEEDED; i++) {
      load.create(i % 2);
    }
    ShardMigrator.join(five, 5, MIGRATIONS);
    // Empty buckets go to their 5-shard owners at once; the buckets of the seeded users are left to the program.
    Set<Integer> occupied = load.names.keySet().stream().map(ShardId::bucketOf).collect(Collectors.toSet());
    BucketDirectory directory = DirectoryStore.readNewest(all).orElseThrow();
    for (ReshardPlan.Move move : ReshardPlan.of(directory, 5).moves()) {
      if (!occupied.contains(move.bucket())) {
        directory = directory.withBucketMoved(move.bucket(), move.to());
      }
    }
    DirectoryStore.publish(all, directory);
    List<ReshardPlan.Move> left = ReshardPlan.of(directory, 5).moves();
    assertThat(left).isNotEmpty().allSatisfy(m -> assertThat(occupied).contains(m.bucket()));
    // The program stops at the copy of the third move or the first after it that goes to the joining shard.
    int stopAt = 0;
    for (int i = 0; i < left.size() && (stopAt == 0 || stopAt < 3); i++) {
      if (left.get(i).to() == 4) {
        stopAt = i + 1;
      }
    }
    assertThat(stopAt).as("a move to the joining shard").isPositive();

    load.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> load.caller.acked() >= 50);
    int stopAfter = stopAt;
    AtomicInteger copies = new AtomicInteger();
    Resharder stopping = Resharder.builder(five, MIGRATIONS).database("users").shards(5).grace(GRACE)
        .steps(step -> {
          if (step == BucketMover.Step.COPIED && copies.incrementAndGet() == stopAfter) {
            joining.servers().stop(0);
          }
        }).build();
    assertThat(catchThrowable(stopping::run)).as("the run fails when its target stops").isNotNull();
    long ackedWhileDown = load.caller.acked();
    joining.servers().start(0);
    ReshardStatus stopped = Resharder.status(four, "users");
    assertThat(stopped.unfinished()).hasSize(1).allSatisfy(m -> assertThat(m).contains("to shard 4: COPYING"));

    ReshardReport finished = Resharder.builder(five, MIGRATIONS).database("users").shards(5).grace(GRACE).build()
        .run();
    System.out.println("after the target shard's stop: " + finished.describe());
    assertThat(finished.buckets() + stopAfter - 1).isEqualTo(left.size());
    await().atMost(Duration.ofSeconds(30)).until(() -> load.caller.acked() >= ackedWhileDown + 50);
    load.stop();
    System.out.printf("load: %d acknowledged writes, %d retried after UNAVAILABLE/ABORTED%n", load.caller.acked(),
        load.caller.retried());

    assertThat(load.caller.failures()).as("clients saw only retryable statuses, and their retries succeeded")
        .isEmpty();
    BucketDirectory end = DirectoryStore.readNewest(all).orElseThrow();
    assertThat(ReshardPlan.of(end, 5).done()).as("every bucket where the even ranges of 5 put it").isTrue();
    assertThat(Resharder.status(four, "users").unfinished()).isEmpty();
    Map<Long, Integer> rowsOf = new HashMap<>();
    for (int s = 0; s < all.size(); s++) {
      for (var r : all.get(s).fetch("SELECT id, name FROM users WHERE email LIKE 'target-stop-%'")) {
        long id = r.get(0, Long.class);
        assertThat(rowsOf.put(id, s)).as("user %d on two shards", id).isNull();
        assertThat(end.shardOf(ShardId.bucketOf(id))).as("user %d on the shard the directory names", id)
            .isEqualTo(s);
        assertThat(r.get(1, String.class)).as("user %d's last acknowledged name", id).isEqualTo(load.names.get(id));
      }
    }
    assertThat(rowsOf.keySet()).as("the acknowledged users, and nothing else").isEqualTo(load.names.keySet());
    assertThat(rowsOf.values()).as("users on the joined shard").contains(4);
    for (long id : load.names.keySet()) {
      assertThat(stub().getUser(GetUserRequest.newBuilder().setId(id).build()).getName())
          .isEqualTo(load.names.get(id));
    }
  }

  private static UserServiceBlockingStub stub() {
    return users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Two clients, each with its own users: creates (up to a bound) and renames, each call retried as it was. */
  static final class Load {
    final RetryingCaller caller = new RetryingCaller(Duration.ofMinutes(1));
    final Map<Long, String> names = new ConcurrentHashMap<>();
    final Map<Long, Integer> clientOf = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();

    void start() {
      for (int c = 0; c < 2; c++) {
        int client = c;
        threads.add(Thread.ofPlatform().daemon().name("target-stop-client-" + c).start(() -> client(client)));
      }
    }

    private void client(int client) {
      Random random = new Random();
      int n = 0;
      while (!stop.get() && caller.failures().isEmpty()) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
        n++;
        List<Long> mine = clientOf.entrySet().stream().filter(e -> e.getValue() == client).map(Map.Entry::getKey)
            .toList();
        if (random.nextInt(10) < 2 && names.size() < MAX_USERS) {
          create(client);
        } else {
          long id = mine.get(random.nextInt(mine.size()));
          String name = "c" + client + "-" + n;
          if (caller.call(() -> stub().updateUser(UpdateUserRequest.newBuilder().setId(id)
              .setUser(User.newBuilder().setName(name)).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
              .build())) != null) {
            names.put(id, name);
          }
        }
      }
    }

    void create(int client) {
      String name = "c" + client + "-new";
      User user = caller.call(() -> stub().createUser(CreateUserRequest.newBuilder()
          .setEmail("target-stop-" + UUID.randomUUID() + "@example.com").setName(name).build()));
      if (user != null) {
        names.put(user.getId(), name);
        clientOf.put(user.getId(), client);
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(60_000);
      }
    }
  }
}
