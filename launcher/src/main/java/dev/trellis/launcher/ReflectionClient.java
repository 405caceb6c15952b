package dev.trellis.launcher;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.BlockingClientCall;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads a server's API through gRPC server reflection (v1), as grpcurl does: the services it serves and the
 * descriptors of their files with every file they import, so that messages can be built from JSON and printed
 * back without any .proto file or generated class.
 */
final class ReflectionClient {
  private static final long TIMEOUT_SECONDS = 10;

  private final ServerReflectionGrpc.ServerReflectionBlockingV2Stub stub;
  private final Map<String, FileDescriptorProto> protos = new HashMap<>();
  private final Map<String, FileDescriptor> files = new HashMap<>();

  ReflectionClient(Channel channel) {
    this.stub = ServerReflectionGrpc.newBlockingV2Stub(requireNonNull(channel, "channel"));
  }

  /** The services the server offers, reflection and health included. */
  List<String> services() {
    ServerReflectionResponse response = ask(ServerReflectionRequest.newBuilder().setListServices("").build());
    return response.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
  }

  /** The descriptor of a fully-qualified service, such as {@code trellis.user.v1.UserService}. */
  ServiceDescriptor service(String name) {
    ServerReflectionResponse response = ask(ServerReflectionRequest.newBuilder().setFileContainingSymbol(name).build());
    FileDescriptor file = build(remember(response).getFirst());
    ServiceDescriptor service = file.findServiceByName(name.substring(name.lastIndexOf('.') + 1));
    if (service == null) {
      throw new IllegalStateException("the server describes " + name + " in " + file.getName() + " but it is not there");
    }
    return service;
  }

  /** Every file read so far, for a type registry (google.protobuf.Any inside messages). */
  List<FileDescriptor> files() {
    return List.copyOf(files.values());
  }

  private List<String> remember(ServerReflectionResponse response) {
    if (response.hasErrorResponse()) {
      throw Status.fromCodeValue(response.getErrorResponse().getErrorCode())
          .withDescription(response.getErrorResponse().getErrorMessage()).asRuntimeException();
    }
    List<String> names = new ArrayList<>();
    for (ByteString bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      try {
        FileDescriptorProto proto = FileDescriptorProto.parseFrom(bytes);
        protos.putIfAbsent(proto.getName(), proto);
        names.add(proto.getName());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the server sent a file descriptor that does not parse", e);
      }
    }
    return names;
  }

  /** The file called {@code name} with its imports, asking the server for any it has not sent yet. */
  private FileDescriptor build(String name) {
    FileDescriptor built = files.get(name);
    if (built != null) {
      return built;
    }
    if (!protos.containsKey(name)) {
      remember(ask(ServerReflectionRequest.newBuilder().setFileByFilename(name).build()));
    }
    FileDescriptorProto proto = protos.get(name);
    FileDescriptor[] imports = proto.getDependencyList().stream().map(this::build).toArray(FileDescriptor[]::new);
    try {
      built = FileDescriptor.buildFrom(proto, imports);
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException("the server's descriptor of " + name + " is not valid: " + e.getMessage(), e);
    }
    files.put(name, built);
    return built;
  }

  /** One request on its own reflection stream. */
  private ServerReflectionResponse ask(ServerReflectionRequest request) {
    BlockingClientCall<ServerReflectionRequest, ServerReflectionResponse> call =
        stub.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).serverReflectionInfo();
    try {
      call.write(request);
      call.halfClose();
      ServerReflectionResponse response = call.read();
      if (response == null) {
        throw Status.INTERNAL.withDescription("reflection sent no answer").asRuntimeException();
      }
      return response;
    } catch (StatusException e) {
      throw e.getStatus().asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }
}
