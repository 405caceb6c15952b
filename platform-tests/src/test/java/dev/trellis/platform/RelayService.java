package dev.trellis.platform;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.concurrent.TimeUnit;

/**
 * A SimpleService whose unary method calls another service, the way a service handler calls a dependency: a
 * blocking stub on the handler's own thread, inside the call's gRPC Context. It answers with the downstream answer,
 * followed by the deadline it was serving under ({@code |deadline-ms=N} or {@code |deadline-ms=none}).
 */
public final class RelayService extends SimpleServiceGrpc.SimpleServiceImplBase {
  private final Channel downstream;

  public RelayService(Channel downstream) {
    this.downstream = downstream;
  }

  @Override
  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
    Deadline deadline = Context.current().getDeadline();
    SimpleResponse answer = SimpleServiceGrpc.newBlockingStub(downstream).unaryRpc(request);
    String served = deadline == null ? "none" : Long.toString(deadline.timeRemaining(TimeUnit.MILLISECONDS));
    responses.onNext(answer.toBuilder()
        .setResponseMessage(answer.getResponseMessage() + "|deadline-ms=" + served)
        .build());
    responses.onCompleted();
  }
}
