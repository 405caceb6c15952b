package dev.trellis.bench.targets;

import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;

/** The trivial handler: whatever it costs is the same for every server, so differences are the servers'. */
final class EchoService extends SimpleServiceGrpc.SimpleServiceImplBase {
  @Override
  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
    responses.onNext(SimpleResponse.newBuilder().setResponseMessage(request.getRequestMessage()).build());
    responses.onCompleted();
  }
}
