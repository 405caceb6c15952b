package dev.trellis.edge;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.trellis.platform.client.BytesMarshaller;
import dev.trellis.platform.client.ServiceChannels;
import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC channels to the services, one per distinct target, on the edge's own event loops (grpc-netty shares
 * them with the HTTP server, so a call's callbacks can run on the loop of its HTTP connection). Plaintext, as
 * between services: the mesh's sidecars encrypt. The OpenTelemetry client interceptor, when on, makes each upstream
 * call a child span of the edge's span and sends its traceparent.
 */
public final class Upstreams implements AutoCloseable {

  private final Map<String, ManagedChannel> channelsByTarget = new HashMap<>();
  private final Map<String, Channel> channelsByService = new HashMap<>();
  private final Map<MethodDescriptor, io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage>> dynamic =
      new ConcurrentHashMap<>();
  private final Map<MethodDescriptor, io.grpc.MethodDescriptor<byte[], byte[]>> raw = new ConcurrentHashMap<>();

  /**
   * @param targets gRPC target per service full name
   */
  public Upstreams(Map<String, String> targets, EventLoopGroup loops, Telemetry telemetry) {
    requireNonNull(targets, "targets");
    requireNonNull(loops, "loops");
    requireNonNull(telemetry, "telemetry");
    for (Map.Entry<String, String> entry : targets.entrySet()) {
      ManagedChannel channel = channelsByTarget.computeIfAbsent(entry.getValue(), target ->
          NettyChannelBuilder.forTarget(target)
              .eventLoopGroup(loops)
              .channelType(NioSocketChannel.class)
              .usePlaintext()
              // As the platform's own clients: the services permit pings this often.
              .keepAliveTime(ServiceChannels.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
              .keepAliveTimeout(ServiceChannels.KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .maxInboundMessageSize(ServiceChannels.MAX_MESSAGE_BYTES)
              .build());
      Channel traced = telemetry.clientInterceptor()
          .map(interceptor -> ClientInterceptors.intercept(channel, List.of(interceptor)))
          .orElse(channel);
      channelsByService.put(entry.getKey(), traced);
    }
  }

  /** The channel to the service of {@code method}; null when it has no upstream. */
  public Channel channel(MethodDescriptor method) {
    return channelsByService.get(method.getService().getFullName());
  }

  /** The RPC with dynamic messages of its descriptor types. */
  public io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> dynamic(MethodDescriptor method) {
    return dynamic.computeIfAbsent(method, m -> io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
        .setType(type(m))
        .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(m.getService().getFullName(), m.getName()))
        .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(m.getInputType())))
        .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(m.getOutputType())))
        .build());
  }

  /** The RPC with its messages as bytes. */
  public io.grpc.MethodDescriptor<byte[], byte[]> raw(MethodDescriptor method) {
    return raw.computeIfAbsent(method, m -> io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type(m))
        .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(m.getService().getFullName(), m.getName()))
        .setRequestMarshaller(BytesMarshaller.INSTANCE)
        .setResponseMarshaller(BytesMarshaller.INSTANCE)
        .build());
  }

  private static MethodType type(MethodDescriptor method) {
    if (method.isClientStreaming()) {
      return method.isServerStreaming() ? MethodType.BIDI_STREAMING : MethodType.CLIENT_STREAMING;
    }
    return method.isServerStreaming() ? MethodType.SERVER_STREAMING : MethodType.UNARY;
  }

  @Override
  public void close() {
    channelsByTarget.values().forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channelsByTarget.values()) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
