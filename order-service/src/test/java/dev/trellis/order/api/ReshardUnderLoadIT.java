package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.OrderServiceGrpc.OrderServiceBlockingStub;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.reshard.ReshardProgram;
import dev.trellis.platform.data.reshard.ReshardReport;
import dev.trellis.platform.data.reshard.Resharder;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRecord;
import dev.trellis.testing.RetryingCaller;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.testing.StreamRecorder;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.DeleteUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserUpdate;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Both services over Netty on real PostgreSQL, under a continuous mixed load (creates, updates, deletes, orders)
 * from several clients, reshard 4 -> 6 -> 4: user-service's database by the reshard program in a child JVM that is
 * killed (SIGKILL) mid-run and run again, order-service's in this JVM, at the same time. Then every acknowledged
 * write is present exactly once, on the shard the directory names; nothing unacknowledged is there; ids still
 * route; ListUsers returns each user once; the clients saw only retryable statuses, whose retries succeeded; and an
 * all-users SubscribeToUpdates opened before the reshard saw every acknowledged change once, in order per user,
 * the changes written on the two shards that joined and left included.
 */
class ReshardUnderLoadIT {
  private static final String POLL = "50ms";
  private static final Duration GRACE = Duration.ofMillis(120);
  private static final int CLIENTS = 4;
  /**
   * Bounds on what the load writes: a move selects a bucket's rows by computing each row's bucket, so its cost grows
   * with the tables (see the report); the load keeps them small and goes on with renames once they are reached.
   */
  private static final int MAX_USERS = 300;
  private static final int MAX_ORDERS = 150;

  @RegisterExtension
  static final ShardsExtension spare = ShardsExtension.shared();

  // Rate limits off: on a quiet machine the clients outrun the per-address and per-principal buckets, and this test
  // is about where the writes land, not about the limits.
  static final ServiceExtension users = OrderServiceFixture.userService().setting("TRELLIS_DIRECTORY_POLL", POLL)
      .setting("TRELLIS_RATE_LIMIT_PEER", "off").setting("TRELLIS_RATE_LIMIT_USER", "off")
      .setting("TRELLIS_RATE_LIMIT_ADMIN", "off");
  @RegisterExtension
  static final OrderServiceFixture fixture = new OrderServiceFixture(users,
      OrderServiceFixture.orderService(users, Map.of("TRELLIS_DIRECTORY_POLL", POLL,
          "TRELLIS_RATE_LIMIT_PEER", "off", "TRELLIS_RATE_LIMIT_USER", "off", "TRELLIS_RATE_LIMIT_ADMIN", "off")));

  @Test
  void fourToSixToFourUnderMixedLoadWithAKilledProgramKeepsEveryAcknowledgedWriteOnceOnItsOwner()
      throws Exception {
    ShardTopology userSix = withTwoMore(fixture.userTopology(), "reshard_users_more");
    ShardTopology orderSix = withTwoMore(fixture.orderTopology(), "reshard_orders_more");
    String sku = fixture.newSku(1_000_000, 100);
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = subscribeToAllUsers();
    Load load = new Load(sku);
    load.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> load.caller.acked() >= 100);

    Future<ReshardReport> ordersGrow = runInThisJvm(orderSix, "classpath:db/migration/orders", 6);
    // user-service's database: the program in a child JVM, killed once it moved 30 buckets, then run again here.
    Process child = program(userSix, 6);
    try {
      await().atMost(Duration.ofSeconds(120))
          .until(() -> movesDone(fixture.userTopology()) >= 30 || !child.isAlive());
      assertThat(child.isAlive()).as("the program was still running when killed").isTrue();
    } finally {
      child.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
    }
    ReshardReport usersGrown = runInThisJvm(userSix, "classpath:db/migration/users", 6).get(10, TimeUnit.MINUTES);
    ReshardReport ordersGrown = ordersGrow.get(10, TimeUnit.MINUTES);
    System.out.println("grown to 6 shards: " + usersGrown.describe() + " / " + ordersGrown.describe());
    assertThat(usersGrown.shards()).isEqualTo(6);
    assertThat(ordersGrown.shards()).isEqualTo(6);
    long ackedAtSix = load.caller.acked();
    await().atMost(Duration.ofSeconds(60)).until(() -> load.caller.acked() >= ackedAtSix + 50);

    Future<ReshardReport> ordersShrink = runInThisJvm(orderSix, "classpath:db/migration/orders", 4);
    ReshardReport usersShrunk = runInThisJvm(userSix, "classpath:db/migration/users", 4).get(10, TimeUnit.MINUTES);
    ReshardReport ordersShrunk = ordersShrink.get(10, TimeUnit.MINUTES);
    long ackedAtFour = load.caller.acked();
    await().atMost(Duration.ofSeconds(60)).until(() -> load.caller.acked() >= ackedAtFour + 50);
    load.stop();
    for (ReshardReport report : List.of(usersGrown, ordersGrown, usersShrunk, ordersShrunk)) {
      System.out.println(report.describe());
    }
    System.out.printf("load: %d acknowledged writes, %d retried after UNAVAILABLE/ABORTED (%d with RetryInfo)%n",
        load.caller.acked(), load.caller.retried(), load.caller.withRetryInfo());

    assertThat(load.caller.failures()).as("clients saw only retryable statuses, and their retries succeeded")
        .isEmpty();
    BucketDirectory userDir = directory(userSix);
    BucketDirectory orderDir = directory(orderSix);
    for (BucketDirectory dir : List.of(userDir, orderDir)) {
      assertThat(dir.ranges()).isEqualTo(BucketDirectory.evenRanges(4).ranges());
      assertThat(dir.shards()).extracting(ShardRecord::state).containsExactly(ShardRecord.State.ACTIVE,
          ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.ACTIVE, ShardRecord.State.DRAINED,
          ShardRecord.State.DRAINED);
    }
    List<DSLContext> userShards = userSix.shards().stream().map(ShardsExtension::dsl).toList();
    List<DSLContext> orderShards = orderSix.shards().stream().map(ShardsExtension::dsl).toList();
    // Every row of a test user, on every shard: exactly the acknowledged live ones, each once, on its owner.
    Map<Long, Integer> rowsOf = new HashMap<>();
    for (int s = 0; s < userShards.size(); s++) {
      int shard = s;
      for (var r : userShards.get(s).fetch("SELECT id, name FROM users WHERE email LIKE 'reshard-%'")) {
        long id = r.get(0, Long.class);
        assertThat(rowsOf.put(id, shard)).as("user %d on two shards", id).isNull();
        assertThat(userDir.shardOf(ShardId.bucketOf(id))).as("user %d on the shard the directory names", id)
            .isEqualTo(shard);
        assertThat(r.get(1, String.class)).as("user %d's last acknowledged name", id).isEqualTo(load.names.get(id));
      }
    }
    assertThat(rowsOf.keySet()).as("the acknowledged live users, and nothing else").isEqualTo(load.names.keySet());
    assertThat(load.deleted).isNotEmpty().allSatisfy(id -> assertThat(rowsOf).doesNotContainKey(id));
    Map<Long, Integer> ordersOn = new HashMap<>();
    for (int s = 0; s < orderShards.size(); s++) {
      for (var r : orderShards.get(s).fetch("SELECT id FROM orders WHERE user_id = ANY(?)",
          (Object) load.orderUsers().toArray(Long[]::new))) {
        long id = r.get(0, Long.class);
        assertThat(ordersOn.put(id, s)).as("order %d on two shards", id).isNull();
        assertThat(orderDir.shardOf(ShardId.bucketOf(id))).isEqualTo(s);
      }
    }
    assertThat(ordersOn.keySet()).as("every acknowledged order once").containsExactlyInAnyOrderElementsOf(
        load.orders.keySet());
    // Ids still route, and ListUsers returns each user once.
    UserServiceBlockingStub admin = userStub();
    for (long id : load.names.keySet()) {
      assertThat(admin.getUser(GetUserRequest.newBuilder().setId(id).build()).getName())
          .isEqualTo(load.names.get(id));
    }
    List<Long> listed = new ArrayList<>();
    userStub().listUsers(ListUsersRequest.getDefaultInstance()).forEachRemaining(u -> {
      if (u.getEmail().startsWith("reshard-")) {
        listed.add(u.getId());
      }
    });
    assertThat(listed).containsExactlyInAnyOrderElementsOf(load.names.keySet());
    assertThat(usersShrunk.pauseMax()).isPositive();

    // The subscription opened before the reshard: every acknowledged change of every user once, in order.
    await().atMost(Duration.ofSeconds(60)).until(() -> subscriber.ended() || load.changes.entrySet().stream()
        .allMatch(e -> changesSeen(subscriber).getOrDefault(e.getKey(), List.of()).size() >= e.getValue().size()));
    assertThat(subscriber.error()).as("the subscription is still open").isNull();
    Map<Long, List<String>> seen = new HashMap<>(changesSeen(subscriber));
    seen.keySet().retainAll(load.changes.keySet());
    assertThat(seen).as("each user's acknowledged changes, each once and in order").isEqualTo(load.changes);
    // Some of them were written on the shards that joined (and left): the subscription followed those shards.
    long onJoined = 0;
    for (int shard = 4; shard < 6; shard++) {
      onJoined += userShards.get(shard).fetchCount(org.jooq.impl.DSL.table("user_events"),
          org.jooq.impl.DSL.field("user_id", Long.class).in(load.changes.keySet()));
    }
    System.out.printf("subscription: %d changes of %d users, %d of them written on shards 5 and 6%n",
        load.changes.values().stream().mapToInt(List::size).sum(), load.changes.size(), onJoined);
    assertThat(onJoined).as("changes written on the shards that joined").isPositive();
    subscriber.call().cancel("done", null);
  }

  /**
   * An all-users subscription on user-service, live once a probe user's creation arrived (that user's email is
   * not a load user's).
   */
  private static StreamRecorder<SubscribeRequest, UserUpdate> subscribeToAllUsers() {
    StreamRecorder<SubscribeRequest, UserUpdate> subscriber = StreamRecorder.reading();
    users.stub(UserServiceGrpc::newStub, fixture.admin()).subscribeToUpdates(SubscribeRequest.getDefaultInstance(),
        subscriber);
    // The call returns before the server has subscribed, and a subscription sees what commits after it: create
    // probe users until one arrives.
    Set<Long> probes = ConcurrentHashMap.newKeySet();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      probes.add(userStub().createUser(CreateUserRequest.newBuilder()
          .setEmail("subscription-probe-" + UUID.randomUUID() + "@example.com").setName("probe").build()).getId());
      return subscriber.messages().stream().anyMatch(u -> probes.contains(u.getUserId()));
    });
    return subscriber;
  }

  /** Each user's changes as the subscriber got them, in the form {@link Load#changes} records them. */
  private static Map<Long, List<String>> changesSeen(StreamRecorder<SubscribeRequest, UserUpdate> subscriber) {
    Map<Long, List<String>> seen = new HashMap<>();
    for (UserUpdate u : subscriber.messages()) {
      seen.computeIfAbsent(u.getUserId(), k -> new ArrayList<>()).add(Load.change(u.getEventType(),
          u.getUser().getName()));
    }
    return seen;
  }

  /** The topology and two more shards: databases of the same name on the first two servers. */
  private static ShardTopology withTwoMore(ShardTopology four, String name) {
    ShardTopology more = spare.newDatabase(name);
    List<ShardSpec> specs = new ArrayList<>(four.shards());
    for (int i = 0; i < 2; i++) {
      ShardSpec s = more.shards().get(i);
      specs.add(new ShardSpec(ShardTopology.shardName(4 + i), s.jdbcUrl(), s.user(), s.password()));
    }
    return new ShardTopology(specs);
  }

  private static Future<ReshardReport> runInThisJvm(ShardTopology topology, String location, int shards) {
    return java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor().submit(() -> Resharder
        .builder(topology, location).database(location.substring(location.lastIndexOf('/') + 1)).shards(shards)
        .grace(GRACE).build().run());
  }

  /** The reshard program in a JVM of its own, as a Job runs it. */
  private static Process program(ShardTopology topology, int shards) throws Exception {
    List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), ReshardProgram.class.getName());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().putAll(topology.toSettings());
    builder.environment().put("TRELLIS_MIGRATION_LOCATIONS", "classpath:db/migration/users");
    builder.environment().put(ReshardProgram.SHARDS, Integer.toString(shards));
    builder.environment().put("TRELLIS_DIRECTORY_POLL", POLL);
    builder.environment().put("TRELLIS_MOVE_SOURCE_GRACE", GRACE.toMillis() + "ms");
    builder.environment().put(ReshardProgram.PROGRESS, "lines");
    return builder.start();
  }

  private static long movesDone(ShardTopology four) {
    long done = 0;
    for (ShardSpec spec : four.shards()) {
      done += ShardsExtension.dsl(spec).fetchCount(org.jooq.impl.DSL.table("trellis_bucket_move"),
          org.jooq.impl.DSL.field("state").eq("DONE"));
    }
    return done;
  }

  private static BucketDirectory directory(ShardTopology topology) {
    return DirectoryStore.readNewest(topology.shards().stream().map(ShardsExtension::dsl).toList()).orElseThrow();
  }

  private static UserServiceBlockingStub userStub() {
    return users.stub(UserServiceGrpc::newBlockingStub, fixture.admin()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /**
   * Clients that each own their users: create, rename, delete, order. A call that fails retryably (UNAVAILABLE,
   * ABORTED) is repeated as it was (an order with its request id) until it succeeds; anything else is a failure.
   */
  static final class Load {
    final String sku;
    /** Repeats what fails retryably and counts what it saw. */
    final RetryingCaller caller = new RetryingCaller(Duration.ofSeconds(30));
    final Map<Long, String> names = new ConcurrentHashMap<>();
    /** Each user's acknowledged changes in order (a user is one client's): what a subscriber must see. */
    final Map<Long, List<String>> changes = new ConcurrentHashMap<>();
    final Set<Long> deleted = ConcurrentHashMap.newKeySet();
    final Map<Long, Long> orders = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();

    Load(String sku) {
      this.sku = sku;
    }

    void start() {
      for (int c = 0; c < CLIENTS; c++) {
        // Daemon threads: a failed test never hangs the JVM.
        threads.add(Thread.ofPlatform().daemon().name("reshard-client-" + c).start(this::client));
      }
    }

    Set<Long> orderUsers() {
      return Set.copyOf(orders.values());
    }

    private void client() {
      Random random = new Random();
      List<Long> mine = new ArrayList<>();
      OrderServiceBlockingStub orderStub = fixture.orderService().stub(OrderServiceGrpc::newBlockingStub,
          fixture.admin());
      int n = 0;
      while (!stop.get() && caller.failures().isEmpty()) {
        try {
          Thread.sleep(10); // a steady trickle, not a flood: the machine runs the reshard and both services too
        } catch (InterruptedException e) {
          return;
        }
        int op = random.nextInt(10);
        n++;
        if (mine.isEmpty() || (op < 3 && names.size() < MAX_USERS)) {
          String email = "reshard-" + UUID.randomUUID() + "@example.com";
          String name = "n" + n;
          User user = caller.call(() -> userStub().createUser(CreateUserRequest.newBuilder().setEmail(email)
              .setName(name).build()));
          if (user != null) {
            mine.add(user.getId());
            names.put(user.getId(), name);
            changes.computeIfAbsent(user.getId(), k -> new CopyOnWriteArrayList<>()).add(change("CREATED", name));
          }
        } else if (op < 6 || (op >= 7 && orders.size() >= MAX_ORDERS)) {
          long id = mine.get(random.nextInt(mine.size()));
          String name = "n" + n;
          if (caller.call(() -> userStub().updateUser(UpdateUserRequest.newBuilder().setId(id)
              .setUser(User.newBuilder().setName(name)).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
              .build())) != null) {
            names.put(id, name);
            changes.get(id).add(change("UPDATED", name));
          }
        } else if (op < 7 && mine.size() > 3) {
          long id = mine.remove(random.nextInt(mine.size()));
          if (orders.containsValue(id)) {
            mine.add(id); // keep users with orders: the orders must stay checkable
            continue;
          }
          if (caller.call(() -> userStub().deleteUser(DeleteUserRequest.newBuilder().setId(id).build())) != null) {
            String last = names.remove(id);
            deleted.add(id);
            changes.get(id).add(change("DELETED", last)); // a deleted user's update carries it as it was
          }
        } else {
          long id = mine.get(random.nextInt(mine.size()));
          CreateOrderRequest request = order(id, sku).build();
          Order created = caller.call(() -> orderStub.withDeadlineAfter(30, TimeUnit.SECONDS).createOrder(request));
          if (created != null) {
            orders.put(created.getId(), id);
          }
        }
      }
    }

    static String change(String type, String name) {
      return type + " " + name;
    }


    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(60_000);
      }
    }
  }
}
