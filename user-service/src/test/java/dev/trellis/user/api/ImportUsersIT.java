package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import dev.trellis.user.v1.UserServiceGrpc;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.testing.FirstResponse;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ImportUsersResponse.ImportError;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.User;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/** ImportUsers: a client stream of mixed good and bad items. */
class ImportUsersIT {
  /** Lock waits as long as a test needs: one test holds the users table while the client streams. */
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_SHARD_STATEMENT_TIMEOUT", "2m").setting("TRELLIS_SHARD_LOCK_TIMEOUT", "2m");

  private static UserServiceBlockingStub blocking(String token) {
    return users.stub(UserServiceGrpc::newBlockingStub, token).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static CompletableFuture<ImportUsersResponse> importAll(String token, List<CreateUserRequest> items) {
    FirstResponse<ImportUsersResponse> result = new FirstResponse<>();
    StreamObserver<CreateUserRequest> requests = users.stub(UserServiceGrpc::newStub, token).importUsers(result);
    items.forEach(requests::onNext);
    requests.onCompleted();
    return result.future();
  }

  private static CreateUserRequest item(String email, String name) {
    return CreateUserRequest.newBuilder().setEmail(email).setName(name).build();
  }

  @Test
  void createsEachGoodItemAndReportsEachBadOneWithItsIndex() throws Exception {
    List<CreateUserRequest> items = List.of(
        item("imp-0@example.com", "Good 0"),
        item("not-an-email", "Bad email"),
        item("imp-2@example.com", ""),
        item("imp-3@example.com", "Good 3"),
        item("IMP-0@example.com", "Duplicate of 0"),
        item("imp-5@example.com", "Good 5"));

    ImportUsersResponse response = importAll(users.tokens().admin(1), items).get(30, TimeUnit.SECONDS);

    assertThat(response.getCreatedCount()).isEqualTo(3);
    assertThat(response.getErrorsList()).extracting(ImportError::getIndex).containsExactly(1, 2, 4);
    assertThat(response.getErrorsList().get(0).getReason())
        .isEqualTo("email: must be an email address such as name@example.com");
    assertThat(response.getErrorsList().get(1).getReason()).isEqualTo("name: is required");
    assertThat(response.getErrorsList().get(2).getReason()).contains("already");
    List<User> listed = new ArrayList<>();
    blocking(users.tokens().admin(1)).listUsers(ListUsersRequest.newBuilder().setFilter("name : \"Good\"").build())
        .forEachRemaining(listed::add);
    assertThat(listed).extracting(User::getName).containsExactlyInAnyOrder("Good 0", "Good 3", "Good 5");
  }

  @Test
  void aLargeImportStreamsThrough() throws Exception {
    List<CreateUserRequest> items = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      items.add(item("bulk-" + i + "@example.com", "Bulk " + i));
    }
    ImportUsersResponse response = importAll(users.tokens().admin(1), items).get(60, TimeUnit.SECONDS);

    assertThat(response.getCreatedCount()).isEqualTo(300);
    assertThat(response.getErrorsList()).isEmpty();
  }

  @Test
  void aClientFasterThanTheDatabaseIsHeldBackByFlowControl() throws Exception {
    List<Connection> locks = lockUsersOnEveryShard(); // creates wait on the lock: the database is "slow"
    FirstResponse<ImportUsersResponse> result = new FirstResponse<>();
    ClientCallStreamObserver<CreateUserRequest> requests =
        (ClientCallStreamObserver<CreateUserRequest>) users.stub(UserServiceGrpc::newStub, users.tokens().admin(1)).importUsers(result);
    try {
      await().atMost(Duration.ofSeconds(10)).until(requests::isReady);
      requests.onNext(item("held-back@example.com", "Held back")); // its insert waits on the lock
      // Then items of 4 KB (invalid ones, which need no database) whenever the call is ready, until it stays not
      // ready. With the server asking for one item at a time, that happens once the stream's flow-control window
      // (1 MiB) is full; a server that queued items in memory would keep the call ready until all 2,000 went.
      String bulky = "x".repeat(4096);
      int sent = 1;
      while (sent < 2000 && readyWithin(requests, Duration.ofSeconds(2))) {
        requests.onNext(item(bulky, "Bulky"));
        sent++;
      }
      // About 1 MiB / 4 KB = 256 items, plus what the client buffers before it reports not ready.
      assertThat(sent).as("backpressure held the client back while the database held the first item")
          .isLessThan(600);

      release(locks);
      requests.onCompleted();
      ImportUsersResponse response = result.future().get(60, TimeUnit.SECONDS);
      assertThat(response.getCreatedCount()).isEqualTo(1);
      assertThat(response.getErrorsList()).hasSize(Math.min(sent - 1, UserImport.MAX_LISTED_ERRORS));
    } finally {
      release(locks);
    }
  }

  private static boolean readyWithin(ClientCallStreamObserver<?> call, Duration wait) {
    try {
      await().atMost(wait).pollInterval(Duration.ofMillis(5)).until(call::isReady);
      return true;
    } catch (ConditionTimeoutException notReady) {
      return false;
    }
  }

  /** Locks the users table of every shard against writes, in open transactions; {@link #release} ends them. */
  private static List<Connection> lockUsersOnEveryShard() throws Exception {
    List<Connection> locks = new ArrayList<>();
    for (ShardSpec shard : users.topology().shards()) {
      Connection c = DriverManager.getConnection(shard.jdbcUrl(), shard.user(), shard.password());
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("LOCK TABLE users IN SHARE MODE");
      }
      locks.add(c);
    }
    return locks;
  }

  private static void release(List<Connection> locks) throws Exception {
    for (Connection c : locks) {
      if (!c.isClosed()) {
        c.rollback();
        c.close();
      }
    }
  }

  @Test
  void onlyAdminsImport() {
    var failure = importAll(users.tokens().user(42), List.of(item("nope@example.com", "Nope")));

    assertThat(failure).failsWithin(30, TimeUnit.SECONDS).withThrowableThat()
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }
}
