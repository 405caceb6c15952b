package dev.trellis.user.api;

import static dev.trellis.testing.ErrorDetails.retryDelay;
import static dev.trellis.user.api.Errors.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's bucket changes owner in the shards' tables while user-service runs with the old directory (it polls only
 * every minute here): an update routed to the old owner is refused there inside its transaction and answered
 * UNAVAILABLE with RetryInfo; the retry lands on the new owner, and the change is never applied on both. A read
 * routed to the old owner after the source rows were deleted is UNAVAILABLE too (the shard no longer owns the
 * bucket), never a false NOT_FOUND.
 */
class BucketFenceServiceIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service").setting("TRELLIS_DIRECTORY_POLL", "1m");

  @Test
  void anUpdateRoutedByTheOldDirectoryIsRefusedThereAndItsRetryLandsOnTheNewOwnerOnly() {
    UserServiceBlockingStub admin = users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    User user = admin.createUser(CreateUserRequest.newBuilder().setEmail("fence-move@example.com")
        .setName("before").build());
    List<DSLContext> shards = users.topology().shards().stream().map(ShardsExtension::dsl).toList();
    // The move, by hand. The source row stays, so that a write landing there would show.
    int[] fromTo = moveByHand(shards, user);
    int from = fromTo[0];
    int to = fromTo[1];

    UpdateUserRequest rename = UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName("after")).setUpdateMask(FieldMask.newBuilder().addPaths("name")).build();
    StatusRuntimeException refused = failure(() -> admin.updateUser(rename));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(refused.getStatus().getDescription()).isEqualTo("the user data moved to another shard; retry");
    assertThat(retryDelay(refused.getStatus(), refused.getTrailers())).isPositive();

    // The refusal made the service read the directory again: the client's retry succeeds.
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
      admin.updateUser(rename);
      return true;
    });
    assertThat(admin.getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getName()).isEqualTo("after");
    assertThat(name(shards.get(to), user)).isEqualTo("after");
    assertThat(name(shards.get(from), user)).as("never applied on the old owner").isEqualTo("before");
    assertThat(updates(shards.get(to), user)).isEqualTo(1);
    assertThat(updates(shards.get(from), user)).isZero();
  }

  @Test
  void aReadRoutedByTheOldDirectoryAfterTheSourceRowsWentIsRetryableNotNotFound() {
    UserServiceBlockingStub admin = users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    User user = admin.createUser(CreateUserRequest.newBuilder().setEmail("stale-read@example.com")
        .setName("moved").build());
    List<DSLContext> shards = users.topology().shards().stream().map(ShardsExtension::dsl).toList();
    // The whole move by hand, the source rows deleted as after the grace: the service (polling every minute) still
    // routes the user to the shard the bucket left, as a replica lagging more than the grace would.
    int from = moveByHand(shards, user)[0];
    shards.get(from).transaction(tx -> {
      tx.dsl().execute("SET LOCAL trellis.fence = 'off'");
      tx.dsl().execute("DELETE FROM users WHERE id = ?", user.getId());
    });

    GetUserRequest get = GetUserRequest.newBuilder().setId(user.getId()).build();
    StatusRuntimeException stale = failure(() -> admin.getUser(get));
    assertThat(stale.getStatus().getCode()).as("not a false NOT_FOUND").isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(stale.getStatus().getDescription()).isEqualTo("the user data moved to another shard; retry");
    assertThat(retryDelay(stale.getStatus(), stale.getTrailers())).isPositive();
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> admin.getUser(get).getName().equals("moved"));
  }

  @Test
  void anEmailStaysTakenWhenTheOldDirectoryRoutesItsHolderToTheShardItsBucketLeft() {
    UserServiceBlockingStub admin = users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    // A holder whose bucket is not its email's: only the user row moves, the email's entry stays where it is.
    User holder;
    int attempt = 0;
    do {
      holder = admin.createUser(CreateUserRequest.newBuilder().setEmail("moved-holder-" + attempt++ + "@example.com")
          .setName("holder").build());
    } while (ShardRouter.bucketOfKey(holder.getEmail()) == ShardId.bucketOf(holder.getId()));
    List<DSLContext> shards = users.topology().shards().stream().map(ShardsExtension::dsl).toList();
    int from = moveByHand(shards, holder)[0];
    long holderId = holder.getId();
    shards.get(from).transaction(tx -> {
      tx.dsl().execute("SET LOCAL trellis.fence = 'off'");
      tx.dsl().execute("DELETE FROM users WHERE id = ?", holderId);
    });

    // The second create finds the email's confirmed entry and looks for its holder on the shard the bucket left:
    // no row there is not "the holder is gone" (which would hand the email over), the shard no longer owns it.
    String email = holder.getEmail();
    StatusRuntimeException taken = failure(() -> admin.createUser(CreateUserRequest.newBuilder().setEmail(email)
        .setName("second").build()));
    assertThat(taken.getStatus().getCode()).as("never two users with one email").isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(shards.stream().mapToInt(shard -> shard.fetchCount(DSL.table("users"), DSL.field("email").eq(email)))
        .sum()).isEqualTo(1);
  }

  /**
   * Moves the user's bucket to the next shard by hand: copies the user's row (the fence off, as a mover does), then
   * publishes the directory version that flips ownership. The service, polling every minute, does not see it.
   *
   * @return {from, to}
   */
  private static int[] moveByHand(List<DSLContext> shards, User user) {
    int bucket = ShardId.bucketOf(user.getId());
    BucketDirectory now = DirectoryStore.readNewest(shards).orElseThrow();
    int from = now.shardOf(bucket);
    int to = (from + 1) % shards.size();
    String row = shards.get(from).fetchValue("SELECT to_jsonb(u)::text FROM users u WHERE id = ?", user.getId())
        .toString();
    shards.get(to).transaction(tx -> {
      tx.dsl().execute("SET LOCAL trellis.fence = 'off'");
      tx.dsl().execute("INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, ?::jsonb)", row);
    });
    DirectoryStore.publish(shards, now.withBucketMoved(bucket, to));
    return new int[] {from, to};
  }

  private static String name(DSLContext shard, User user) {
    return shard.fetchValue("SELECT name FROM users WHERE id = ?", user.getId()).toString();
  }

  private static int updates(DSLContext shard, User user) {
    return shard.fetchCount(DSL.table("user_events"),
        DSL.field("user_id").eq(user.getId()).and(DSL.field("event_type").eq("UPDATED")));
  }

}
