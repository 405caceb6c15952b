package dev.trellis.platform;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Records what a SimpleService call delivers: its messages, when the first one arrived, and how it ended. */
public final class ResponseRecorder implements StreamObserver<SimpleResponse> {
  public final List<String> messages = new CopyOnWriteArrayList<>();
  public final CountDownLatch firstMessage = new CountDownLatch(1);
  public final CompletableFuture<Status> status = new CompletableFuture<>();

  @Override
  public void onNext(SimpleResponse response) {
    messages.add(response.getResponseMessage());
    firstMessage.countDown();
  }

  @Override
  public void onError(Throwable t) {
    status.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    status.complete(Status.OK);
  }

  /** How the call ended, waiting for it up to ten seconds. */
  public Status awaitStatus() {
    try {
      return status.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the call did not end", e);
    }
  }
}
