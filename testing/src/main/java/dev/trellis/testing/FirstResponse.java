package dev.trellis.testing;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * The first response of a call made with an async stub, as a future: for client- and bidi-streaming calls, which
 * blocking stubs cannot make. It fails with the call's error, and also when the call completes without a response,
 * so that a test waiting on it fails instead of hanging.
 *
 * <pre>{@code
 * FirstResponse<ImportUsersResponse> response = new FirstResponse<>();
 * StreamObserver<CreateUserRequest> requests = stub.importUsers(response);
 * ...
 * response.future().get(30, TimeUnit.SECONDS);
 * }</pre>
 */
public final class FirstResponse<T> implements StreamObserver<T> {
  private final CompletableFuture<T> future = new CompletableFuture<>();

  public CompletableFuture<T> future() {
    return future;
  }

  @Override
  public void onNext(T value) {
    future.complete(value);
  }

  @Override
  public void onError(Throwable t) {
    future.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {
    future.completeExceptionally(new AssertionError("the call completed without a response"));
  }
}
