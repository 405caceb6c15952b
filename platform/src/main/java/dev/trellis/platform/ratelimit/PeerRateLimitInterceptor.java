package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.ResourceExhaustedException;
import dev.trellis.platform.error.StatusMapper;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Limits calls per client address before auth runs, so that a flood of bad tokens cannot burn CPU on signature
 * checks. Over the limit: RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when a token is available.
 */
public final class PeerRateLimitInterceptor implements ServerInterceptor {
  private final Optional<RateLimit> limit;
  private final ClientAddress clientAddress;
  private final TokenBuckets buckets;

  public PeerRateLimitInterceptor(RateLimitConfig config, Clock clock) {
    requireNonNull(config, "config");
    this.limit = config.peer();
    this.clientAddress = new ClientAddress(config.trustedProxies());
    this.buckets = new TokenBuckets(clock);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (limit.isEmpty()) {
      return next.startCall(call, headers);
    }
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    InetAddress client = clientAddress.of(remote, headers.getAll(ClientAddress.FORWARDED_FOR));
    // A peer without an IP address (in-process) is its own key.
    Duration wait = buckets.tryTake(client != null ? client : String.valueOf(remote), limit.get());
    if (!wait.isZero()) {
      return StatusMapper.reject(call,
          new ResourceExhaustedException("too many requests from this address; retry later", wait));
    }
    return next.startCall(call, headers);
  }
}
