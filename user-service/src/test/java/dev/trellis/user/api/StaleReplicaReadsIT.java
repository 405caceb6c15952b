package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.data.BucketMoveSettings;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica that polls the directory only every second keeps reading a user's old shard after the user's bucket
 * moved, until its next poll; the mover keeps the source rows for the grace tied to that poll, so the replica's
 * reads of the user never answer NOT_FOUND, before, during or after the move.
 */
class StaleReplicaReadsIT {
  private static final Duration POLL = Duration.ofSeconds(1);
  @RegisterExtension
  static final ServiceExtension stale = ServiceExtension.of("user-service")
      .setting("TRELLIS_DIRECTORY_POLL", "1s")
      // The reader loops as fast as the machine lets it; the point is NOT_FOUND, not the limits.
      .setting("TRELLIS_RATE_LIMIT_PEER", "off")
      .setting("TRELLIS_RATE_LIMIT_ADMIN", "off");

  @Test
  void aReplicaOnTheOldDirectoryNeverReadsAFalseNotFoundWithinTheGrace() throws Exception {
    UserServiceBlockingStub admin = stale.stub(UserServiceGrpc::newBlockingStub, stale.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    User user = admin.createUser(CreateUserRequest.newBuilder().setEmail(UUID.randomUUID() + "@example.com")
        .setName("Read while moving").build());
    Map<Status.Code, AtomicInteger> answers = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    BucketMoveSettings settings = BucketMoveSettings.forPoll(POLL);
    try (ShardedDatabase db = ShardedDatabase.builder(stale.topology()).kind("user")
        .pool(ShardsExtension.SMALL_POOLS).build();
        ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> reading = readers.submit(() -> {
        while (!stop.get()) {
          Status.Code code = Status.Code.OK;
          try {
            assertThat(stale.stub(UserServiceGrpc::newBlockingStub, stale.tokens().admin(1))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getName())
                .isEqualTo("Read while moving");
          } catch (StatusRuntimeException e) {
            code = e.getStatus().getCode();
          }
          answers.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
        }
        return null;
      });
      int bucket = ShardId.bucketOf(user.getId());
      int to = (db.router().shardOfBucket(bucket) + 1) % db.shards().size();

      // The move returns after the grace, when the source rows are gone: the replica has polled since.
      BucketMover.Report report = BucketMover.builder(db).settings(settings).build().move(bucket, to);
      int readsAtEnd = answers.values().stream().mapToInt(AtomicInteger::get).sum();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> answers.values().stream().mapToInt(AtomicInteger::get).sum() > readsAtEnd + 20);
      stop.set(true);
      reading.get(30, TimeUnit.SECONDS);
      assertThat(report.to()).isEqualTo(to);
    }
    assertThat(answers.keySet()).as("answers to reads of the moving user: %s", answers)
        .containsExactly(Status.Code.OK);
  }
}
