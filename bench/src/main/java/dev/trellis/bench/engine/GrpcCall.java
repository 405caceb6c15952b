package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.call.GrpcMethods;
import dev.trellis.bench.call.GrpcRequests;
import dev.trellis.platform.client.BytesMarshaller;
import io.grpc.MethodDescriptor;

/**
 * One gRPC call of a load: the method with byte-array marshallers (the load sends prepared bytes and never parses a
 * response, so its cost per call stays small next to the server's), the requests, and its weight in a mix.
 *
 * @param method the method, marshalled as raw bytes
 * @param requests where each call's request comes from
 * @param weight relative share of the calls in a mix
 * @param label how the call reads in reports
 */
public record GrpcCall(MethodDescriptor<byte[], byte[]> method, GrpcRequests requests, int weight, String label) {

  public GrpcCall {
    requireNonNull(method, "method");
    requireNonNull(requests, "requests");
    requireNonNull(label, "label");
  }

  /** The call of {@code requests}' method, with the byte marshallers. */
  public static GrpcCall of(GrpcRequests requests, int weight, String label) {
    com.google.protobuf.Descriptors.MethodDescriptor proto = requests.method();
    MethodDescriptor.MethodType type;
    if (proto.isClientStreaming()) {
      type = proto.isServerStreaming() ? MethodDescriptor.MethodType.BIDI_STREAMING
          : MethodDescriptor.MethodType.CLIENT_STREAMING;
    } else {
      type = proto.isServerStreaming() ? MethodDescriptor.MethodType.SERVER_STREAMING
          : MethodDescriptor.MethodType.UNARY;
    }
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(GrpcMethods.fullName(proto))
        .setRequestMarshaller(BytesMarshaller.INSTANCE)
        .setResponseMarshaller(BytesMarshaller.INSTANCE)
        .build();
    return new GrpcCall(method, requests, weight, label);
  }

  public boolean unary() {
    return method.getType() == MethodDescriptor.MethodType.UNARY;
  }
}
