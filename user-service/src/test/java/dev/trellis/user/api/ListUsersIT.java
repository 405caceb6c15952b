package dev.trellis.user.api;

import static dev.trellis.user.api.Errors.badFields;
import static dev.trellis.user.api.Errors.code;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import dev.trellis.user.v1.UserServiceGrpc;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ListUsers across 4 shards: one ascending stream, filters, pages with the token in the trailers; each shard read in
 * batches of a few users.
 */
class ListUsersIT {
  private static final int USERS = 60;
  /** Batches of 4 users: each shard's 15-odd users take several, so every listing continues after the last id. */
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service").setting("TRELLIS_SHARD_FETCH_SIZE", "4");
  private static UserServiceBlockingStub admin;
  private static final List<User> created = new ArrayList<>();

  @BeforeAll
  static void createUsers() {
    admin = blocking(users.tokens().admin(1));
    for (int i = 0; i < USERS; i++) {
      String name = (i % 3 == 0 ? "Fizz " : "Buzz ") + i;
      created.add(admin.createUser(CreateUserRequest.newBuilder()
          .setEmail("list-" + i + "@example.com").setName(name).addRoles(i % 10 == 0 ? "admin" : "user").build()));
    }
  }

  private static UserServiceBlockingStub blocking(String token) {
    return users.stub(UserServiceGrpc::newBlockingStub, token).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** One page: the users and the trailing next-page token (null when absent). */
  private record Page(List<User> users, String nextToken) {}

  private static Page list(ListUsersRequest request) {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    List<User> users = new ArrayList<>();
    admin.withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
        .listUsers(request).forEachRemaining(users::add);
    return new Page(users, trailers.get().get(UserGrpcService.NEXT_PAGE_TOKEN));
  }

  @Test
  void streamsEveryUserInAscendingIdAcrossAllShards() {
    Page all = list(ListUsersRequest.getDefaultInstance());

    assertThat(all.users()).hasSize(USERS);
    assertThat(all.users()).extracting(User::getId).isSorted();
    assertThat(all.users()).containsExactlyInAnyOrderElementsOf(created);
    assertThat(all.nextToken()).as("page_size 0 streams everything: no next page").isNull();
    BucketDirectory directory = BucketDirectory.evenRanges(4);
    assertThat(all.users()).extracting(u -> directory.shardOf(ShardId.bucketOf(u.getId())))
        .as("users spread over the shards").contains(0, 1, 2, 3);
  }

  @Test
  void pagesFollowTheTokenToTheEnd() {
    List<User> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      Page page = list(ListUsersRequest.newBuilder().setPageSize(25).setPageToken(token).build());
      seen.addAll(page.users());
      token = page.nextToken();
      pages++;
    } while (token != null);

    assertThat(pages).isEqualTo(3);
    assertThat(seen).extracting(User::getId).isSorted().doesNotHaveDuplicates();
    assertThat(seen).hasSize(USERS);
  }

  @Test
  void filtersByEmailNameRoleAndCreationTime() {
    assertThat(list(ListUsersRequest.newBuilder().setFilter("email = \"list-7@example.com\"").build()).users())
        .extracting(User::getName).containsExactly("Buzz 7");
    assertThat(list(ListUsersRequest.newBuilder().setFilter("name : \"Fizz\"").build()).users())
        .hasSize(USERS / 3).allSatisfy(u -> assertThat(u.getName()).startsWith("Fizz"));
    assertThat(list(ListUsersRequest.newBuilder().setFilter("role = \"admin\" AND name : \"Fizz\"").build()).users())
        .extracting(User::getName).containsExactly("Fizz 0", "Fizz 30");
    long createdAt = created.get(0).getCreatedAt();
    assertThat(list(ListUsersRequest.newBuilder()
        .setFilter("created_at >= " + createdAt + " AND created_at <= " + (createdAt + 3600)).build()).users())
        .hasSize(USERS);
    assertThat(list(ListUsersRequest.newBuilder().setFilter("created_at <= " + (createdAt - 1)).build()).users())
        .isEmpty();
  }

  @Test
  void filteredPagesKeepTheirFilter() {
    Page first = list(ListUsersRequest.newBuilder().setFilter("name : \"Buzz\"").setPageSize(10).build());
    Page second = list(ListUsersRequest.newBuilder().setFilter("name : \"Buzz\"").setPageSize(10)
        .setPageToken(first.nextToken()).build());

    assertThat(second.users()).hasSize(10).allSatisfy(u -> assertThat(u.getName()).startsWith("Buzz"));
    assertThat(second.users().get(0).getId()).isGreaterThan(first.users().get(9).getId());
    assertThat(badFields(() -> list(ListUsersRequest.newBuilder().setFilter("name : \"Fizz\"").setPageSize(10)
        .setPageToken(first.nextToken()).build()))).as("a token is bound to its filter").containsExactly("page_token");
  }

  @Test
  void injectionLookingFiltersAreAnHonestEmptyResult() {
    assertThat(list(ListUsersRequest.newBuilder().setFilter("name : \"x' OR 1=1 --\"").build()).users()).isEmpty();
    assertThat(list(ListUsersRequest.newBuilder().setFilter("email = \"'; DROP TABLE users; --\"").build()).users())
        .isEmpty();
    assertThat(list(ListUsersRequest.getDefaultInstance()).users()).hasSize(USERS);
  }

  @Test
  void badRequestsAreInvalidArgumentWithTheField() {
    assertThat(badFields(() -> list(ListUsersRequest.newBuilder().setPageSize(1001).build())))
        .containsExactly("page_size");
    assertThat(badFields(() -> list(ListUsersRequest.newBuilder().setPageSize(-1).build())))
        .containsExactly("page_size");
    assertThat(badFields(() -> list(ListUsersRequest.newBuilder().setFilter("password = \"x\"").build())))
        .containsExactly("filter");
    assertThat(badFields(() -> list(ListUsersRequest.newBuilder().setFilter("name = ").build())))
        .containsExactly("filter");
    assertThat(badFields(() -> list(ListUsersRequest.newBuilder().setPageToken("forged").build())))
        .containsExactly("page_token");
  }

  @Test
  void onlyAdminsList() {
    var user = blocking(users.tokens().user(created.get(1).getId()));
    assertThat(code(() -> user.listUsers(ListUsersRequest.getDefaultInstance()).forEachRemaining(u -> { })))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }
}
