package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.client.ResilientCalls;
import dev.trellis.platform.error.ResourceExhaustedException;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verify_user step: asks user-service for the buyer (GetUser) through the platform's resilient calls (retry on
 * UNAVAILABLE only, circuit breaker, bulkhead, timeout) with this service's identity, on the caller's thread, so the
 * caller's deadline and trace travel with it. It runs before anything of the order is stored: NOT_FOUND is an
 * answer (the order is rejected); anything else means the user cannot be verified now, and nothing is stored.
 */
public final class UserVerifier {
  /** The dependency's name in messages and in the circuit breaker. */
  public static final String DEPENDENCY = "user-service";
  private static final Logger log = LoggerFactory.getLogger(UserVerifier.class);

  private final UserServiceGrpc.UserServiceBlockingStub users;
  private final ResilientCalls calls;

  /** @param channel a channel to user-service carrying this service's identity (ServiceChannels) */
  public UserVerifier(Channel channel, ResilientCalls calls) {
    this.users = UserServiceGrpc.newBlockingStub(requireNonNull(channel, "channel"));
    this.calls = requireNonNull(calls, "calls");
  }

  /**
   * The user, or empty when user-service has no such user. Run it inside the verify_user span: the GetUser client
   * span becomes its child.
   *
   * @throws UnavailableException when user-service cannot answer now (down after retries, circuit open, timeout)
   * @throws ResourceExhaustedException when too many calls to user-service are in flight
   */
  public Optional<VerifiedUser> verify(long userId) {
    try {
      User user = calls.unary(() -> users.getUser(GetUserRequest.newBuilder().setId(userId).build()));
      return Optional.of(new VerifiedUser(user.getId(), user.getEmail(), user.getName()));
    } catch (StatusRuntimeException e) {
      switch (e.getStatus().getCode()) {
        case NOT_FOUND -> {
          return Optional.empty();
        }
        case RESOURCE_EXHAUSTED -> throw new ResourceExhaustedException(
            "too many calls to " + DEPENDENCY + " in flight; retry later", Duration.ofSeconds(1));
        case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> throw unavailable();
        default -> {
          // PERMISSION_DENIED or UNAUTHENTICATED: this service's identity is wrong; INTERNAL: user-service broke.
          log.error("{} refused to verify user {}: {}", DEPENDENCY, userId, e.getStatus());
          throw unavailable();
        }
      }
    }
  }

  /** {@link #verify} inside its own span under the current one. */
  Optional<VerifiedUser> verifyTraced(long userId, SagaSpans spans) {
    Span span = spans.start(OrderStep.VERIFY_USER.stepName());
    try (Scope ignored = span.makeCurrent()) {
      Optional<VerifiedUser> user = verify(userId);
      if (user.isEmpty()) {
        SagaSpans.failed(span, "user " + userId + " not found");
      }
      return user;
    } catch (RuntimeException e) {
      SagaSpans.failed(span, e.getMessage());
      throw e;
    } finally {
      span.end();
    }
  }

  private static UnavailableException unavailable() {
    return new UnavailableException("cannot verify the user: " + DEPENDENCY + " is unavailable; retry later");
  }
}
