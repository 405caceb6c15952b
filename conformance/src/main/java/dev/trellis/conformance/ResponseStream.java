package dev.trellis.conformance;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The response side of a streaming call: its messages as they come, how it ended, and the call, to cancel it. */
final class ResponseStream<ReqT, RespT> implements ClientResponseObserver<ReqT, RespT> {
  final BlockingQueue<RespT> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> ended = new CompletableFuture<>();
  private final boolean firstOnly;
  private volatile ClientCallStreamObserver<ReqT> call;

  private ResponseStream(boolean firstOnly) {
    this.firstOnly = firstOnly;
  }

  /** Every message is delivered as the transport brings it. */
  static <ReqT, RespT> ResponseStream<ReqT, RespT> flowing() {
    return new ResponseStream<>(false);
  }

  /**
   * Only the first message is delivered. A short stream can reach the client whole (messages and trailers) inside the
   * flow-control window before a cancel is sent; grpc-java holds the status behind undelivered messages, so with one
   * message requested the call cannot end OK on its own and a cancel after the first message always ends it.
   */
  static <ReqT, RespT> ResponseStream<ReqT, RespT> firstOnly() {
    return new ResponseStream<>(true);
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ReqT> call) {
    this.call = call;
    if (firstOnly) {
      call.disableAutoInboundFlowControl(); // the stub then requests one message only
    }
  }

  @Override
  public void onNext(RespT message) {
    messages.add(message);
  }

  @Override
  public void onError(Throwable t) {
    ended.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    ended.complete(Status.OK);
  }

  /** The next message, waiting at most the call deadline; null when none came. */
  RespT next() throws InterruptedException {
    return messages.poll(MeshClients.CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS);
  }

  void cancel(String why) {
    call.cancel(why, null);
  }

  /** How the call ended, waiting at most the call deadline. */
  Status end() throws InterruptedException, ExecutionException, TimeoutException {
    return ended.get(MeshClients.CALL_DEADLINE.toSeconds(), TimeUnit.SECONDS);
  }
}
