package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Opens channels to other services with what every service-to-service call needs: the OpenTelemetry client
 * interceptor (traceparent injection, when telemetry is on), the request id of the call being served, and the
 * service's own credentials (a dev token locally; nothing in mesh mode, where the sidecar proves identity). The
 * deadline and cancellation of the call being served travel by themselves: a call started in a handler's gRPC
 * Context inherits its remaining deadline and is cancelled with it.
 *
 * <p>Plaintext on purpose: locally there is nothing to protect, and in clusters the sidecars encrypt (mTLS).
 */
public final class ServiceChannels {
  /**
   * Pings a connection this often (servers permit exactly this rate, even without calls in flight) and drops it when
   * no answer comes within {@link #KEEPALIVE_TIMEOUT}: a peer that vanished is noticed in seconds.
   */
  public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);
  public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);
  /** The largest response accepted: the same as a server's default largest request. */
  public static final int MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

  private final List<ClientInterceptor> outermostFirst;

  /**
   * @param credentials the service's own credentials, or empty when the mesh proves identity
   */
  public ServiceChannels(Telemetry telemetry, Optional<CallCredentials> credentials) {
    requireNonNull(telemetry, "telemetry");
    requireNonNull(credentials, "credentials");
    List<ClientInterceptor> interceptors = new ArrayList<>();
    telemetry.clientInterceptor().ifPresent(interceptors::add);
    interceptors.add(new RequestIdForwarding());
    credentials.ifPresent(c -> interceptors.add(new DefaultCredentials(c)));
    this.outermostFirst = List.copyOf(interceptors);
  }

  /** A channel to {@code target} (for example {@code dns:///user-service:50051}) over Netty. */
  public ManagedChannel open(String target) {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(requireNonNull(target, "target"))
        .usePlaintext()
        .keepAliveTime(KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .maxInboundMessageSize(MAX_MESSAGE_BYTES);
    return withInterceptors(builder).build();
  }

  /** A channel to a server in this JVM started with {@code TrellisServer.Builder.inProcess(name)}. */
  public ManagedChannel openInProcess(String name) {
    return withInterceptors(InProcessChannelBuilder.forName(requireNonNull(name, "name"))).build();
  }

  /** {@code channel} with the same interceptors, for channels built elsewhere. */
  public Channel intercept(Channel channel) {
    return ClientInterceptors.intercept(requireNonNull(channel, "channel"), outermostFirst.reversed());
  }

  private <T extends ManagedChannelBuilder<T>> T withInterceptors(T builder) {
    // grpc runs the interceptor added last first.
    return builder.intercept(outermostFirst.reversed());
  }

  /** Attaches the service's credentials to calls that bring none of their own. */
  private record DefaultCredentials(CallCredentials credentials) implements ClientInterceptor {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
      CallOptions options = callOptions.getCredentials() == null
          ? callOptions.withCallCredentials(credentials)
          : callOptions;
      return next.newCall(method, options);
    }
  }
}
