package dev.trellis.platform.ratelimit;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.error.ResourceExhaustedException;
import dev.trellis.platform.error.StatusMapper;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Limits calls per verified principal, by role and optionally per method ({@link RateLimitConfig}). Runs after
 * auth; calls without a principal (health, reflection) pass. Over the limit: RESOURCE_EXHAUSTED with a
 * google.rpc.RetryInfo whose retry_delay is the time until a token is available.
 */
public final class PrincipalRateLimitInterceptor implements ServerInterceptor {
  private final RateLimitConfig config;
  private final TokenBuckets buckets;

  public PrincipalRateLimitInterceptor(RateLimitConfig config, Clock clock) {
    this.config = requireNonNull(config, "config");
    this.buckets = new TokenBuckets(clock);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Principal principal = CallContext.currentPrincipal().orElse(null);
    if (principal == null) {
      return next.startCall(call, headers);
    }
    Optional<RateLimit> limit = config.limitFor(principal);
    if (limit.isEmpty()) {
      return next.startCall(call, headers);
    }
    // The narrower method limit first: a call it refuses does not spend the principal's general budget.
    String method = call.getMethodDescriptor().getFullMethodName();
    RateLimit methodLimit = config.methods().get(method);
    Duration wait = methodLimit == null
        ? Duration.ZERO
        : buckets.tryTake(new MethodKey(principal.subject(), method), methodLimit);
    if (wait.isZero()) {
      // Keyed by the limit too: a bucket is made with the limit it was first asked for, and the same subject may
      // come with other roles (a user token and an admin token for one id).
      wait = buckets.tryTake(new SubjectKey(principal.subject(), limit.get()), limit.get());
    }
    if (!wait.isZero()) {
      return StatusMapper.reject(call,
          new ResourceExhaustedException("too many requests from this caller; retry later", wait));
    }
    return next.startCall(call, headers);
  }

  private record SubjectKey(String subject, RateLimit limit) {}

  private record MethodKey(String subject, String method) {}
}
