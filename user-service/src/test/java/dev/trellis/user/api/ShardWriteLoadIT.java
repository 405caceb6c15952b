package dev.trellis.user.api;

import static dev.trellis.testing.ErrorDetails.retryDelay;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One shard's PostgreSQL stopped under a mixed write load, then started again (issue 14): creates and renames keep
 * coming from several callers. The other shard's users are renamed all along; what needs the stopped shard is
 * UNAVAILABLE with RetryInfo, nothing else; after the restart every acknowledged write is there, and a create that
 * failed left nothing half-written (its email is free, or its user is whole).
 */
class ShardWriteLoadIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SHARD_1 = "shards/user/shard-1";
  private static final int CALLERS = 4;
  private static final int WRITES_EACH = 3000; // a bound on the load, whatever the phases take

  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.own(2);
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service").onShards(shards)
      .setting("TRELLIS_SHARD_CONNECTION_TIMEOUT", "3s")
      .setting("TRELLIS_SHARD_STATEMENT_TIMEOUT", "1s")
      .setting("TRELLIS_SHARD_LOCK_TIMEOUT", "500ms")
      .setting("TRELLIS_SHARD_PROBE_INTERVAL", "200ms");

  /** What one caller did to one user it owns: the last rename acknowledged, and the last one tried after it. */
  private record Renames(String acknowledged, String triedSince) {}

  @Test
  void theOtherShardKeepsServingAndNothingAcknowledgedIsLostNorHalfWritten() throws Exception {
    BucketDirectory directory = BucketDirectory.evenRanges(2);
    Map<Long, Renames> renames = new ConcurrentHashMap<>();
    Map<Long, String> created = new ConcurrentHashMap<>(); // acknowledged creates: id -> email
    Queue<String> failedCreates = new ConcurrentLinkedQueue<>();
    Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    Map<Integer, AtomicInteger> renamedOnShard = Map.of(0, new AtomicInteger(), 1, new AtomicInteger());
    AtomicInteger unavailable = new AtomicInteger();
    AtomicBoolean shard1Down = new AtomicBoolean();
    AtomicInteger renamedOnShard0WhileDown = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();

    ExecutorService load = Executors.newFixedThreadPool(CALLERS);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        int caller = c;
        running.add(load.submit(() -> {
          List<User> own = new ArrayList<>();
          for (int i = 0; i < WRITES_EACH && !done.get(); i++) {
            boolean create = own.size() < 4 || i % 3 == 0;
            if (create) {
              String email = "load-" + caller + "-" + i + "-" + UUID.randomUUID() + "@example.com";
              try {
                User user = admin().createUser(CreateUserRequest.newBuilder().setEmail(email).setName("Load")
                    .build());
                created.put(user.getId(), email);
                own.add(user);
                renames.put(user.getId(), new Renames("Load", null));
              } catch (StatusRuntimeException e) {
                failedCreates.add(email);
                classify(e, unavailable, unexpected);
              }
            } else {
              User user = own.get(i % own.size());
              int shard = directory.shardOf(ShardId.bucketOf(user.getId()));
              String name = "renamed " + i;
              renames.compute(user.getId(), (id, r) -> new Renames(r.acknowledged(), name));
              try {
                admin().updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
                    .setUser(User.newBuilder().setName(name)).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
                    .build());
                renames.put(user.getId(), new Renames(name, null));
                renamedOnShard.get(shard).incrementAndGet();
                if (shard == 0 && shard1Down.get()) {
                  renamedOnShard0WhileDown.incrementAndGet();
                }
              } catch (StatusRuntimeException e) {
                classify(e, unavailable, unexpected);
                if (shard == 0) {
                  unexpected.add("a rename on shard-0 failed: " + e.getStatus());
                }
              }
            }
          }
          return null;
        }));
      }
      await().atMost(WAIT).until(() -> renamedOnShard.get(1).get() >= 10 && renamedOnShard.get(0).get() >= 10);
      shards.servers().stop(1);
      await().atMost(WAIT).until(() -> health(SHARD_1) == ServingStatus.NOT_SERVING);
      shard1Down.set(true);
      await().atMost(WAIT).until(() -> unavailable.get() >= 10 && renamedOnShard0WhileDown.get() >= 10);
      int renamedOnShard1Before = renamedOnShard.get(1).get();
      shards.servers().start(1);
      await().atMost(WAIT).until(() -> health(SHARD_1) == ServingStatus.SERVING);
      shard1Down.set(false);
      await().atMost(WAIT).until(() -> renamedOnShard.get(1).get() >= renamedOnShard1Before + 10);
      done.set(true);
      for (Future<?> caller : running) {
        caller.get(120, TimeUnit.SECONDS);
      }
    } finally {
      load.shutdownNow();
      shards.servers().start(1);
    }

    assertThat(unexpected).as("what needed the stopped shard was UNAVAILABLE with RetryInfo; nothing else failed")
        .isEmpty();
    // Every acknowledged create is there, whole; every user has its last acknowledged name, or a later one tried
    // whose answer was lost with the shard.
    for (Map.Entry<Long, String> user : created.entrySet()) {
      User stored = admin().getUser(GetUserRequest.newBuilder().setId(user.getKey()).build());
      assertThat(stored.getEmail()).isEqualTo(user.getValue());
      Renames r = renames.get(user.getKey());
      assertThat(stored.getName()).as("user %s", user.getKey()).isIn(r.acknowledged(), r.triedSince());
    }
    // A create that failed left no half: its user is whole, or its email is free to take.
    for (String email : failedCreates) {
      List<User> found = new ArrayList<>();
      admin().listUsers(ListUsersRequest.newBuilder().setFilter("email = \"" + email + "\"").build())
          .forEachRemaining(found::add);
      if (found.isEmpty()) {
        assertThat(admin().createUser(CreateUserRequest.newBuilder().setEmail(email).setName("Again").build())
            .getEmail()).as("a failed create left its email taken").isEqualTo(email);
      } else {
        assertThat(found).singleElement().extracting(User::getEmail).isEqualTo(email);
      }
    }
    System.out.printf("shard-1 stopped under load: %d creates acknowledged, %d failed; renames acknowledged"
        + " shard-0 %d (%d while shard-1 was down), shard-1 %d; %d calls UNAVAILABLE with RetryInfo%n",
        created.size(), failedCreates.size(), renamedOnShard.get(0).get(), renamedOnShard0WhileDown.get(),
        renamedOnShard.get(1).get(), unavailable.get());
  }

  /** Counts an UNAVAILABLE with RetryInfo and waits (up to 1 s) as it asks, as a well-behaved caller does. */
  private static void classify(StatusRuntimeException e, AtomicInteger unavailable, Queue<String> unexpected)
      throws InterruptedException {
    Duration delay = e.getStatus().getCode() == Status.Code.UNAVAILABLE
        ? retryDelay(e.getStatus(), e.getTrailers()) : Duration.ZERO;
    if (delay.isPositive()) {
      unavailable.incrementAndGet();
      Thread.sleep(delay.compareTo(Duration.ofSeconds(1)) < 0 ? delay : Duration.ofSeconds(1));
    } else {
      unexpected.add(e.getStatus() + " (trailers " + e.getTrailers() + ")");
    }
  }

  private static UserServiceBlockingStub admin() {
    return ServiceCalls.admin(users);
  }

  private static ServingStatus health(String service) {
    return ServiceCalls.health(users, service);
  }
}
