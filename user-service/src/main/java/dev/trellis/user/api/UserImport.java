package dev.trellis.user.api;

import dev.trellis.platform.error.ApiException;
import dev.trellis.user.rules.NewUser;
import dev.trellis.user.rules.UserValidation;
import dev.trellis.user.store.UserStore;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ImportUsersResponse.ImportError;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * One ImportUsers call: creates each valid item as it arrives and notes each bad one with its index and reason.
 * It asks the client for one item at a time, so a fast client is held back by the database instead of queueing
 * items in server memory.
 */
final class UserImport implements StreamObserver<CreateUserRequest> {
  /** Errors beyond this many are counted but not listed, so the response stays well under the message limit. */
  static final int MAX_LISTED_ERRORS = 1000;

  private final UserStore store;
  private final ServerCallStreamObserver<ImportUsersResponse> response;
  private final ImportUsersResponse.Builder result = ImportUsersResponse.newBuilder();
  private int index;

  private UserImport(UserStore store, ServerCallStreamObserver<ImportUsersResponse> response) {
    this.store = store;
    this.response = response;
  }

  static UserImport start(UserStore store, StreamObserver<ImportUsersResponse> response) {
    ServerCallStreamObserver<ImportUsersResponse> call = (ServerCallStreamObserver<ImportUsersResponse>) response;
    call.disableAutoRequest();
    call.request(1);
    return new UserImport(store, call);
  }

  @Override
  public void onNext(CreateUserRequest item) {
    try {
      NewUser user = UserValidation.newUser(item.getEmail(), item.getName(), item.getRolesList());
      store.create(user.email(), user.name(), user.roles());
      result.setCreatedCount(result.getCreatedCount() + 1);
    } catch (ApiException e) {
      if (result.getErrorsCount() < MAX_LISTED_ERRORS) {
        result.addErrors(ImportError.newBuilder().setIndex(index).setReason(e.getMessage()));
      }
    }
    index++;
    response.request(1);
  }

  @Override
  public void onError(Throwable t) {
    // The client gave up; what was created stays created, as each item is its own transaction.
  }

  @Override
  public void onCompleted() {
    response.onNext(result.build());
    response.onCompleted();
  }
}
