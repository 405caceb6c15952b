package dev.trellis.conformance;

import static dev.trellis.conformance.CaseFailure.check;
import static dev.trellis.conformance.CaseFailure.expectCode;
import static dev.trellis.conformance.CaseFailure.statusOf;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.platform.client.BytesMarshaller;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.BlockingClientCall;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cases every server answers alike, run against each: health, server reflection under both its names (v1, and
 * v1alpha which older grpcurl and many tools still ask), and an unknown method or service (UNIMPLEMENTED).
 */
final class ServerCases {
  private final String target;
  private final ManagedChannel channel;
  private final MeshClients clients;
  private final List<String> services;

  /**
   * @param target the server's name in the table
   * @param services the Trellis services it must serve, such as {@code trellis.user.v1.UserService}
   */
  ServerCases(String target, ManagedChannel channel, MeshClients clients, List<String> services) {
    this.target = target;
    this.channel = channel;
    this.clients = clients;
    this.services = services;
  }

  List<InteropCase> cases() {
    return List.of(
        new InteropCase("health", "grpc.health.v1.Health/Check", target, this::health),
        new InteropCase("reflection_v1", "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", target,
            () -> reflection("grpc.reflection.v1.ServerReflection")),
        new InteropCase("reflection_v1alpha", "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            target, () -> reflection("grpc.reflection.v1alpha.ServerReflection")),
        new InteropCase("unimplemented_method", services.getFirst() + "/UnimplementedCall", target,
            () -> unimplemented(services.getFirst() + "/UnimplementedCall")),
        new InteropCase("unimplemented_service", "grpc.testing.UnimplementedService/UnimplementedCall", target,
            () -> unimplemented("grpc.testing.UnimplementedService/UnimplementedCall")));
  }

  /** The whole server and each of its services are SERVING; health needs no token (probes have none). */
  private String health() {
    List<String> names = new ArrayList<>(services);
    names.addFirst("");
    for (String name : names) {
      ServingStatus status = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(MeshClients.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus();
      check(status == ServingStatus.SERVING, "health of '" + name + "' is " + status);
    }
    return "SERVING: the server and " + String.join(", ", services);
  }

  /**
   * Lists the services, then asks for the file of each Trellis service. v1 and v1alpha are the same messages on the
   * wire, so one client speaks both.
   */
  private String reflection(String service) throws Exception {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(service + "/ServerReflectionInfo")
        .setRequestMarshaller(BytesMarshaller.INSTANCE)
        .setResponseMarshaller(BytesMarshaller.INSTANCE)
        .build();
    BlockingClientCall<byte[], byte[]> call = ClientCalls.blockingBidiStreamingCall(channel, method,
        CallOptions.DEFAULT.withDeadlineAfter(MeshClients.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    try {
      List<String> listed = ask(call, ServerReflectionRequest.newBuilder().setListServices("").build())
          .getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
      for (String expected : services) {
        check(listed.contains(expected), service + " lists " + listed + ", without " + expected);
        ServerReflectionResponse file =
            ask(call, ServerReflectionRequest.newBuilder().setFileContainingSymbol(expected).build());
        check(file.hasFileDescriptorResponse() && describes(file, expected),
            service + " sent no file that defines " + expected + ": " + file.getMessageResponseCase());
      }
      call.halfClose();
      check(call.read() == null, service + " sent more than it was asked");
      return listed.size() + " services listed; the file of each Trellis service";
    } finally {
      call.cancel("done", null);
    }
  }

  private static ServerReflectionResponse ask(BlockingClientCall<byte[], byte[]> call,
      ServerReflectionRequest request) throws InterruptedException, StatusException, InvalidProtocolBufferException {
    call.write(request.toByteArray());
    byte[] answer = call.read();
    check(answer != null, "reflection ended without answering " + request.getMessageRequestCase());
    ServerReflectionResponse response = ServerReflectionResponse.parseFrom(answer);
    check(!response.hasErrorResponse(), "reflection answered " + response.getErrorResponse());
    return response;
  }

  private static boolean describes(ServerReflectionResponse response, String service)
      throws InvalidProtocolBufferException {
    String simpleName = service.substring(service.lastIndexOf('.') + 1);
    String pkg = service.substring(0, service.lastIndexOf('.'));
    for (ByteString bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      FileDescriptorProto file = FileDescriptorProto.parseFrom(bytes);
      if (file.getPackage().equals(pkg) && file.getServiceList().stream()
          .anyMatch(s -> s.getName().equals(simpleName))) {
        return true;
      }
    }
    return false;
  }

  private String unimplemented(String fullMethod) {
    Status status = statusOf(() -> MeshClients.rawUnary(channel, clients.admin, fullMethod, new byte[0]), fullMethod);
    expectCode(status, Status.Code.UNIMPLEMENTED, fullMethod);
    return "UNIMPLEMENTED '" + status.getDescription() + "'";
  }
}
