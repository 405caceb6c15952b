package dev.trellis.platform;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** The four kinds of gRPC call, each made through a real SimpleService stub, so a test can cover them all alike. */
public enum CallKind {
  UNARY,
  CLIENT_STREAMING,
  SERVER_STREAMING,
  BIDI_STREAMING;

  /** How a call ended: its status, response headers and trailers, and the messages that arrived. */
  public record Outcome(Status status, Metadata headers, Metadata trailers, List<String> messages) {}

  /** The SimpleService method a call of this kind goes to. */
  public MethodDescriptor<SimpleRequest, SimpleResponse> method() {
    return switch (this) {
      case UNARY -> SimpleServiceGrpc.getUnaryRpcMethod();
      case CLIENT_STREAMING -> SimpleServiceGrpc.getClientStreamingRpcMethod();
      case SERVER_STREAMING -> SimpleServiceGrpc.getServerStreamingRpcMethod();
      case BIDI_STREAMING -> SimpleServiceGrpc.getBidiStreamingRpcMethod();
    };
  }

  /**
   * Makes one call of this kind sending {@code message} (once), with {@code credentials} if not null, and waits
   * for it to end.
   */
  public Outcome call(Channel channel, CallCredentials credentials, String message) {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    SimpleServiceGrpc.SimpleServiceStub stub = SimpleServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    if (credentials != null) {
      stub = stub.withCallCredentials(credentials);
    }
    ResponseRecorder recorder = new ResponseRecorder();
    SimpleRequest request = ScriptedService.request(message);
    switch (this) {
      case UNARY -> stub.unaryRpc(request, recorder);
      case SERVER_STREAMING -> stub.serverStreamingRpc(request, recorder);
      case CLIENT_STREAMING -> send(stub.clientStreamingRpc(recorder), request);
      case BIDI_STREAMING -> send(stub.bidiStreamingRpc(recorder), request);
    }
    Status status = recorder.awaitStatus();
    return new Outcome(status, headers.get(), trailers.get(), List.copyOf(recorder.messages));
  }

  private static void send(StreamObserver<SimpleRequest> requests, SimpleRequest request) {
    requests.onNext(request);
    requests.onCompleted();
  }
}
