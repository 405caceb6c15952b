package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ListUsers while a bucket moves, when two shards hold its rows (the target from the first copy, the source until
 * the grace ends): every listing returns each user once, and a page token taken before the move continues after it
 * with no user twice and none missed. Emails stay unique when two creates with one address come on either side of
 * the cut-over of the address's bucket.
 */
class UsersAcrossMoveIT {
  private static final int USERS = 40;
  private static final String ACROSS = "name : \"Across\"";
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_DIRECTORY_POLL", "100ms");

  @Test
  void listingsDuringAMoveAndPageTokensAcrossItSeeEveryUserOnce() {
    UserServiceBlockingStub admin = admin();
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < USERS; i++) {
      ids.add(admin.createUser(CreateUserRequest.newBuilder().setEmail("across-" + i + "@example.com")
          .setName("Across " + i).build()).getId());
    }
    List<Long> sorted = ids.stream().sorted().toList();
    Page first = list(ListUsersRequest.newBuilder().setFilter(ACROSS).setPageSize(10).build());
    assertThat(first.ids()).containsExactlyElementsOf(sorted.subList(0, 10));
    // A bucket of a user on a later page, so the rest of the listing crosses the move.
    int bucket = ShardId.bucketOf(sorted.get(USERS - 1));
    Map<BucketMover.Step, List<Long>> during = new ConcurrentHashMap<>();

    try (ShardedDatabase db = ShardedDatabase.builder(users.topology()).kind("user")
        .pool(ShardsExtension.SMALL_POOLS).build()) {
      int to = (db.router().shardOfBucket(bucket) + 1) % db.shards().size();
      BucketMover.builder(db).deleteAfter(Duration.ofMillis(500)).progress(step -> {
        if (step == BucketMover.Step.COPIED || step == BucketMover.Step.PUBLISHED) {
          during.put(step, listAll());
        }
      }).build().move(bucket, to);
    }

    // Copied (both shards hold the rows, the source owns them) and published (the target owns them, the source
    // keeps its copy for the grace): each user once.
    assertThat(during.get(BucketMover.Step.COPIED)).containsExactlyElementsOf(sorted);
    assertThat(during.get(BucketMover.Step.PUBLISHED)).containsExactlyElementsOf(sorted);
    List<Long> resumed = new ArrayList<>(first.ids());
    for (String token = first.nextToken(); token != null; ) {
      Page next = list(ListUsersRequest.newBuilder().setFilter(ACROSS).setPageSize(10).setPageToken(token).build());
      resumed.addAll(next.ids());
      token = next.nextToken();
    }
    assertThat(resumed).containsExactlyElementsOf(sorted);
  }

  @Test
  void twoCreatesWithOneEmailOnEitherSideOfItsBucketsCutOverMakeOneUser() {
    String email = "one-of-two@example.com";
    int bucket = ShardRouter.bucketOfKey(email);
    List<Status.Code> atCutOver = new ArrayList<>();
    try (ShardedDatabase db = ShardedDatabase.builder(users.topology()).kind("user")
        .pool(ShardsExtension.SMALL_POOLS).build()) {
      int to = (db.router().shardOfBucket(bucket) + 1) % db.shards().size();
      BucketMover.builder(db).deleteAfter(Duration.ofMillis(500)).progress(step -> {
        if (step == BucketMover.Step.COPIED) {
          // After the first copy, before the cut-over: taken on the source; the catch-up carries it over.
          admin().createUser(CreateUserRequest.newBuilder().setEmail(email).setName("Email first").build());
        } else if (step == BucketMover.Step.CUT_OVER) {
          // The source gave the bucket up, the directory does not name the target yet.
          atCutOver.add(createTwin(email).getCode());
        }
      }).build().move(bucket, to);

      Status after = createTwin(email.toUpperCase(java.util.Locale.ROOT));
      assertThat(atCutOver).allSatisfy(code -> assertThat(code).isIn(Status.Code.UNAVAILABLE,
          Status.Code.ALREADY_EXISTS));
      assertThat(after.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
      long owners = 0;
      for (var shard : db.shards()) {
        owners += shard.read(dsl -> dsl.fetchCount(DSL.table("users"), DSL.field("lower(email)").eq(email)));
      }
      assertThat(owners).as("users with the email, over all shards").isOne();
    }
  }

  /** A second create with the email: its status (OK would be a second user). */
  private static Status createTwin(String email) {
    try {
      admin().createUser(CreateUserRequest.newBuilder().setEmail(email).setName("Email twin").build());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  private static List<Long> listAll() {
    List<Long> all = new ArrayList<>();
    admin().listUsers(ListUsersRequest.newBuilder().setFilter(ACROSS).build())
        .forEachRemaining(u -> all.add(u.getId()));
    return all;
  }

  private record Page(List<Long> ids, String nextToken) {}

  private static Page list(ListUsersRequest request) {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    List<Long> ids = new ArrayList<>();
    admin().withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
        .listUsers(request).forEachRemaining(u -> ids.add(u.getId()));
    return new Page(ids, trailers.get().get(UserGrpcService.NEXT_PAGE_TOKEN));
  }

  private static UserServiceBlockingStub admin() {
    return users.stub(UserServiceGrpc::newBlockingStub, users.tokens().admin(1))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }
}
