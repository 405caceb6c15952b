package dev.trellis.user.api;

import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.stream.ClientStreamItems;
import dev.trellis.platform.stream.ItemHandler;
import dev.trellis.user.rules.NewUser;
import dev.trellis.user.rules.UserValidation;
import dev.trellis.user.store.UserStore;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.ImportUsersResponse;
import dev.trellis.user.v1.ImportUsersResponse.ImportError;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ImportUsers call: creates each valid item as it arrives and notes each bad one, whatever is wrong with it
 * (bytes that are not a CreateUserRequest, invalid fields, a taken email, a shard down, even a bug), with its index
 * and reason; the import always goes on to the end and answers what it created. Items are read one at a time
 * ({@link ClientStreamItems}), so a fast client is held back by the database instead of queueing in server memory.
 */
final class UserImport implements ItemHandler<CreateUserRequest> {
  /** Errors beyond this many are counted but not listed, so the response stays well under the message limit. */
  static final int MAX_LISTED_ERRORS = 1000;

  private static final Logger log = LoggerFactory.getLogger(UserImport.class);

  private final UserStore store;
  private final StreamObserver<ImportUsersResponse> response;
  private final ImportUsersResponse.Builder result = ImportUsersResponse.newBuilder();

  private UserImport(UserStore store, StreamObserver<ImportUsersResponse> response) {
    this.store = store;
    this.response = response;
  }

  static StreamObserver<CreateUserRequest> start(UserStore store, StreamObserver<ImportUsersResponse> response) {
    return ClientStreamItems.receive(response, new UserImport(store, response));
  }

  @Override
  public void item(int index, CreateUserRequest item) {
    try {
      NewUser user = UserValidation.newUser(item.getEmail(), item.getName(), item.getRolesList());
      store.create(user.email(), user.name(), user.roles());
      result.setCreatedCount(result.getCreatedCount() + 1);
    } catch (ApiException e) {
      failed(index, e.getMessage());
    } catch (RuntimeException e) {
      // A bug must not cost the client the answer about the items created before it.
      String requestId = CallContext.requestId().orElse("unknown");
      log.error("import item {} failed unexpectedly", index, kv("request_id", requestId), e);
      failed(index, "internal error; quote request id " + requestId + " when reporting it");
    }
  }

  @Override
  public void malformed(int index, InvalidArgumentException problem) {
    failed(index, problem.getMessage());
  }

  @Override
  public void end() {
    response.onNext(result.build());
    response.onCompleted();
  }

  @Override
  public void cancelled() {
    // The client gave up; what was created stays created, as each item is its own transaction.
  }

  private void failed(int index, String reason) {
    if (result.getErrorsCount() < MAX_LISTED_ERRORS) {
      result.addErrors(ImportError.newBuilder().setIndex(index).setReason(reason));
    }
  }
}
