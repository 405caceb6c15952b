package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.FieldMask;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.testing.LogCapture;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * user-service over Netty starts with 4 shards; a fifth is registered in the bucket directory and a user's bucket is
 * moved to it while the service runs: the service opens the fifth shard's pool at its next poll and serves that
 * user's reads and writes from it, with no restart. A replica started with the fifth shard's URL listed before the
 * reshard registered it starts (on the four the directory records) and serves the moved user from the fifth too.
 */
class ShardJoinServiceIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_DIRECTORY_POLL", "200ms");

  @Test
  void aServiceStartedWithFourShardsServesABucketOnTheFifthAfterADirectoryChangeWithoutARestart() {
    UserServiceBlockingStub admin = users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    User user = admin.createUser(CreateUserRequest.newBuilder().setEmail("joins-fifth@example.com")
        .setName("before").build());
    int bucket = ShardId.bucketOf(user.getId());
    ShardTopology four = users.topology();
    ShardSpec spare = shards.newDatabase("users_fifth").shards().get(0);
    List<ShardSpec> specs = new ArrayList<>(four.shards());
    specs.add(new ShardSpec(ShardTopology.shardName(4), spare.jdbcUrl(), spare.user(), spare.password()));
    ShardTopology five = new ShardTopology(specs);

    // A replica whose TRELLIS_SHARD_URLS already lists the fifth shard, before the reshard registers it (an operator
    // adding the URL ahead of time): it starts on the four the directory records, says so, and opens the fifth when
    // the directory names it.
    ServiceExtension.Replica listedAhead;
    try (LogCapture log = LogCapture.of(ShardMigrator.class)) {
      listedAhead = users.startReplica(five.toSettings());
      assertThat(log.lines()).extracting(l -> l.get("message").asText()).anySatisfy(m -> assertThat(m)
          .contains("shard-4 (TRELLIS_SHARD_URLS entry 5) is not in the bucket directory yet"));
    }
    UserServiceBlockingStub viaListedAhead = listedAhead.stub(UserServiceGrpc::newBlockingStub,
        users.tokens().admin(1)).withDeadlineAfter(30, TimeUnit.SECONDS);
    assertThat(viaListedAhead.getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getName())
        .isEqualTo("before");

    ShardMigrator.join(five, 5, "classpath:db/migration/users");
    try (ShardedDatabase mover = ShardedDatabase.builder(four).kind("user").build()) {
      assertThat(mover.shards()).as("the seed list opens the fifth shard from the directory").hasSize(5);
      BucketMover.builder(mover).deleteAfter(Duration.ofMillis(600)).build().move(bucket, 4);
    }

    UpdateUserRequest rename = UpdateUserRequest.newBuilder().setId(user.getId())
        .setUser(User.newBuilder().setName("after")).setUpdateMask(FieldMask.newBuilder().addPaths("name")).build();
    // The first write may reach the old owner (refused there: UNAVAILABLE, retryable) until the service polls.
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
      admin.updateUser(rename);
      return true;
    });
    assertThat(admin.getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getName()).isEqualTo("after");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(viaListedAhead.getUser(
        GetUserRequest.newBuilder().setId(user.getId()).build()).getName()).isEqualTo("after"));
    DSLContext fifth = ShardsExtension.dsl(spare);
    assertThat(fifth.fetchValue("SELECT name FROM users WHERE id = ?", user.getId())).isEqualTo("after");
    assertThat(ShardsExtension.dsl(four.shards().get(0)).fetchCount(DSL.table("users"), DSL.field("id").eq(user.getId()))
        + ShardsExtension.dsl(four.shards().get(1)).fetchCount(DSL.table("users"), DSL.field("id").eq(user.getId()))
        + ShardsExtension.dsl(four.shards().get(2)).fetchCount(DSL.table("users"), DSL.field("id").eq(user.getId()))
        + ShardsExtension.dsl(four.shards().get(3)).fetchCount(DSL.table("users"), DSL.field("id").eq(user.getId())))
        .as("the source rows are gone").isZero();
    // ListUsers reads the fifth shard too, and returns the user once.
    List<Long> listed = new ArrayList<>();
    admin.listUsers(ListUsersRequest.newBuilder().setPageSize(100).build())
        .forEachRemaining(u -> listed.add(u.getId()));
    assertThat(listed).containsOnlyOnce(user.getId());
  }

}
