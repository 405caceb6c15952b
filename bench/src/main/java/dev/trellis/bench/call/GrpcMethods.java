package dev.trellis.bench.call;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.proto.TrellisDescriptors;
import io.grpc.Channel;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleServiceProto;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gRPC methods a bench can call, by name: from the contracts' descriptor set packaged with the proto module
 * (every Trellis RPC), the bench's own echo service (grpc.testing.SimpleService), or whatever a server lists through
 * reflection. A name may be full ({@code trellis.user.v1.UserService/GetUser}), {@code UserService/GetUser} or
 * {@code GetUser}, as long as it names one method.
 */
public final class GrpcMethods {
  private final Map<String, MethodDescriptor> byFullName;
  private final String source;

  private GrpcMethods(List<FileDescriptor> files, String source) {
    Map<String, MethodDescriptor> methods = new LinkedHashMap<>();
    for (FileDescriptor file : files) {
      for (ServiceDescriptor service : file.getServices()) {
        for (MethodDescriptor method : service.getMethods()) {
          methods.put(service.getFullName() + "/" + method.getName(), method);
        }
      }
    }
    this.byFullName = methods;
    this.source = source;
  }

  /** The contracts of this build and the echo service of the baselines. */
  public static GrpcMethods packaged() {
    List<FileDescriptor> files = new ArrayList<>(TrellisDescriptors.load().files());
    files.add(SimpleServiceProto.getDescriptor());
    return new GrpcMethods(files, "the packaged descriptor set (proto/) and grpc.testing.SimpleService");
  }

  /** Every service that the server on {@code channel} lists through reflection (grpc.reflection.v1). */
  public static GrpcMethods fromReflection(Channel channel) {
    requireNonNull(channel, "channel");
    try {
      Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
      List<ServerReflectionResponse> listed = ask(channel, List.of(
          ServerReflectionRequest.newBuilder().setListServices("*").build()));
      List<ServerReflectionRequest> symbols = new ArrayList<>();
      listed.get(0).getListServicesResponse().getServiceList().forEach(s -> symbols.add(
          ServerReflectionRequest.newBuilder().setFileContainingSymbol(s.getName()).build()));
      for (ServerReflectionResponse response : ask(channel, symbols)) {
        for (var bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
          FileDescriptorProto proto = FileDescriptorProto.parseFrom(bytes);
          protos.putIfAbsent(proto.getName(), proto);
        }
      }
      byte[] set = FileDescriptorSet.newBuilder().addAllFile(protos.values()).build().toByteArray();
      return new GrpcMethods(TrellisDescriptors.fromBytes(set).files(), "server reflection");
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException("the server's reflection sent a descriptor that does not parse: " + e.getMessage());
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("the server's reflection did not give a usable descriptor set: " + e.getMessage());
    }
  }

  /** One method by any of its names; a {@link ConfigException} lists the candidates when none or several match. */
  public MethodDescriptor resolve(String name) {
    requireNonNull(name, "name");
    String wanted = name.startsWith("/") ? name.substring(1) : name;
    MethodDescriptor exact = byFullName.get(wanted);
    if (exact != null) {
      return exact;
    }
    List<String> matches = byFullName.keySet().stream()
        .filter(full -> full.endsWith("/" + wanted) || full.endsWith("." + wanted)).toList();
    if (matches.size() == 1) {
      return byFullName.get(matches.get(0));
    }
    if (matches.isEmpty()) {
      throw new ConfigException("no gRPC method '" + name + "' in " + source + "; known: "
          + String.join(", ", byFullName.keySet()));
    }
    throw new ConfigException("'" + name + "' names several methods: " + String.join(", ", matches));
  }

  /** The full gRPC method name, as on the wire: {@code trellis.user.v1.UserService/GetUser}. */
  public static String fullName(MethodDescriptor method) {
    return method.getService().getFullName() + "/" + method.getName();
  }

  /** Sends the requests on one reflection stream and returns the answers, in order. */
  private static List<ServerReflectionResponse> ask(Channel channel, List<ServerReflectionRequest> requests) {
    List<ServerReflectionResponse> answers = new ArrayList<>();
    CompletableFuture<List<ServerReflectionResponse>> done = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> out = ServerReflectionGrpc.newStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            synchronized (answers) {
              answers.add(response);
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            synchronized (answers) {
              done.complete(List.copyOf(answers));
            }
          }
        });
    requests.forEach(out::onNext);
    out.onCompleted();
    try {
      List<ServerReflectionResponse> all = done.get(30, TimeUnit.SECONDS);
      for (ServerReflectionResponse r : all) {
        if (r.hasErrorResponse()) {
          throw new ConfigException("server reflection: " + r.getErrorResponse().getErrorMessage());
        }
      }
      return all;
    } catch (ExecutionException e) {
      throw new ConfigException("server reflection failed: " + e.getCause().getMessage());
    } catch (TimeoutException e) {
      throw new ConfigException("server reflection did not answer within 30 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("interrupted while asking server reflection");
    }
  }
}
