package dev.trellis.conformance;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.platform.client.BearerToken;
import dev.trellis.platform.client.BytesMarshaller;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The conformance run's channels to user-service and order-service and the stubs on them, each call carrying the
 * admin token and a deadline. A real grpc-java client over Netty, as any caller of the deployment.
 */
final class MeshClients implements AutoCloseable {
  /** The deadline of a call that should answer at once; cases that test deadlines set their own. */
  static final Duration CALL_DEADLINE = Duration.ofSeconds(20);
  /** What a response may carry at most: large_unary's order of hundreds of lines is far below. */
  private static final int MAX_INBOUND_BYTES = 16 * 1024 * 1024;

  final ManagedChannel user;
  final ManagedChannel order;
  final BearerToken admin;

  MeshClients(ConformanceOptions options) {
    requireNonNull(options, "options");
    ChannelCredentials credentials = credentials(options);
    this.user = channel(options.userTarget(), credentials);
    this.order = channel(options.orderTarget(), credentials);
    this.admin = new BearerToken(options.token());
  }

  /** Plaintext, or TLS trusting the JVM's authorities or those of {@code --tls-ca}. */
  private static ChannelCredentials credentials(ConformanceOptions options) {
    if (!options.tls()) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    if (options.tlsCa().isPresent()) {
      try {
        tls.trustManager(options.tlsCa().get().toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e); // checked readable when the options were read
      }
    }
    return tls.build();
  }

  private static ManagedChannel channel(String target, ChannelCredentials credentials) {
    return NettyChannelBuilder.forTarget(target, credentials).maxInboundMessageSize(MAX_INBOUND_BYTES).build();
  }

  UserServiceGrpc.UserServiceBlockingStub users() {
    return UserServiceGrpc.newBlockingStub(user).withCallCredentials(admin)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  UserServiceGrpc.UserServiceStub usersAsync() {
    return UserServiceGrpc.newStub(user).withCallCredentials(admin)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  OrderServiceGrpc.OrderServiceBlockingStub orders() {
    return OrderServiceGrpc.newBlockingStub(order).withCallCredentials(admin)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  OrderServiceGrpc.OrderServiceStub ordersAsync() {
    return OrderServiceGrpc.newStub(order).withCallCredentials(admin)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  InventoryServiceGrpc.InventoryServiceBlockingStub inventory() {
    return InventoryServiceGrpc.newBlockingStub(order).withCallCredentials(admin)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A unary call of {@code fullMethod} with raw bytes, for methods no stub has (unimplemented_*). */
  static byte[] rawUnary(ManagedChannel channel, BearerToken credentials, String fullMethod, byte[] request) {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethod)
        .setRequestMarshaller(BytesMarshaller.INSTANCE)
        .setResponseMarshaller(BytesMarshaller.INSTANCE)
        .build();
    CallOptions options = CallOptions.DEFAULT.withCallCredentials(credentials)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    return ClientCalls.blockingUnaryCall(channel, method, options, request);
  }

  @Override
  public void close() throws InterruptedException {
    user.shutdownNow();
    order.shutdownNow();
    user.awaitTermination(5, TimeUnit.SECONDS);
    order.awaitTermination(5, TimeUnit.SECONDS);
  }
}
