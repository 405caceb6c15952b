package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.testing.FirstResponse;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ImportUsersResponse.ImportError;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.User;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ImportUsers: a client stream of mixed good and bad items. */
class ImportUsersIT {
  private static UserServiceFixture fixture;

  @BeforeAll
  static void start() {
    fixture = new UserServiceFixture("import_users_it");
    fixture.start();
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  private static CompletableFuture<ImportUsersResponse> importAll(String token, List<CreateUserRequest> items) {
    FirstResponse<ImportUsersResponse> result = new FirstResponse<>();
    StreamObserver<CreateUserRequest> requests = fixture.async(token).importUsers(result);
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

    ImportUsersResponse response = importAll(fixture.admin(), items).get(30, TimeUnit.SECONDS);

    assertThat(response.getCreatedCount()).isEqualTo(3);
    assertThat(response.getErrorsList()).extracting(ImportError::getIndex).containsExactly(1, 2, 4);
    assertThat(response.getErrorsList().get(0).getReason()).isEqualTo("email: must be an email address such as name@example.com");
    assertThat(response.getErrorsList().get(1).getReason()).isEqualTo("name: is required");
    assertThat(response.getErrorsList().get(2).getReason()).contains("already");
    List<User> users = new ArrayList<>();
    fixture.blocking(fixture.admin()).listUsers(ListUsersRequest.newBuilder().setFilter("name : \"Good\"").build())
        .forEachRemaining(users::add);
    assertThat(users).extracting(User::getName).containsExactlyInAnyOrder("Good 0", "Good 3", "Good 5");
  }

  @Test
  void aLargeImportStreamsThrough() throws Exception {
    List<CreateUserRequest> items = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      items.add(item("bulk-" + i + "@example.com", "Bulk " + i));
    }
    ImportUsersResponse response = importAll(fixture.admin(), items).get(60, TimeUnit.SECONDS);

    assertThat(response.getCreatedCount()).isEqualTo(300);
    assertThat(response.getErrorsList()).isEmpty();
  }

  @Test
  void onlyAdminsImport() {
    var failure = importAll(fixture.tokens.user(42), List.of(item("nope@example.com", "Nope")));

    assertThat(failure).failsWithin(30, TimeUnit.SECONDS).withThrowableThat()
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }
}
