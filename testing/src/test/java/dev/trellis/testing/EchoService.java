package dev.trellis.testing;

import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.Optional;

/** A service without a database, registered for this module's tests: it answers with its caller's subject. */
public final class EchoService implements TrellisService {
  @Override
  public String name() {
    return "echo-service";
  }

  @Override
  public int defaultPort() {
    return 50099;
  }

  @Override
  public Optional<Database> database() {
    return Optional.empty();
  }

  @Override
  public TrellisServer create(ServiceRuntime runtime) {
    return runtime.server().addUndeclaredService(new SimpleServiceGrpc.SimpleServiceImplBase() {
      @Override
      public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
        responses.onNext(SimpleResponse.newBuilder()
            .setResponseMessage(request.getRequestMessage() + " from " + CallContext.principal().subject()).build());
        responses.onCompleted();
      }
    }).build();
  }
}
