package dev.trellis.platform.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.auth.Principal;
import dev.trellis.testing.ErrorDetails;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.Status;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The per-principal limit behind the whole chain, over real stubs, with the clock moved instead of waiting. */
class PrincipalRateLimitTest {
  private static final RateLimitConfig LIMITS = new RateLimitConfig(
      Optional.empty(),
      List.of(),
      Map.of(Principal.USER, new RateLimit(1, 2), Principal.ADMIN, new RateLimit(5, 5)),
      Map.of());

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.start(grpc, server -> server.rateLimits(LIMITS));

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void overTheBurstIsResourceExhaustedWithRetryInfoAndRecoversAfterTheDelay(CallKind kind) {
    String token = platform.tokens.user(42);
    assertThat(call(kind, token).status().isOk()).isTrue();
    assertThat(call(kind, token).status().isOk()).isTrue();

    CallKind.Outcome refused = call(kind, token);

    assertThat(refused.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.status().getDescription()).isEqualTo("too many requests from this caller; retry later");
    Duration delay = ErrorDetails.retryDelay(refused.status(), refused.trailers());
    // One token per second, none left, clock not moved: the refill time, and up to a quarter more.
    assertThat(delay).isBetween(Duration.ofSeconds(1), Duration.ofMillis(1250));

    platform.clock.advance(Duration.ofMillis(999));
    assertThat(call(kind, token).status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    platform.clock.advance(Duration.ofMillis(1));
    assertThat(call(kind, token).status().isOk()).isTrue();
  }

  @Test
  void aMethodLimitAppliesOnTopOfTheRoleLimit() {
    RateLimitConfig withMethodLimit = new RateLimitConfig(LIMITS.peer(), LIMITS.trustedProxies(), LIMITS.roles(),
        Map.of(SimpleServiceGrpc.getUnaryRpcMethod().getFullMethodName(), new RateLimit(1, 1)));
    PlatformFixture limited = PlatformFixture.start(grpc, server -> server.rateLimits(withMethodLimit));
    String token = limited.tokens.user(42);
    assertThat(CallKind.UNARY.call(limited.channel, TestTokens.bearer(token), "x").status().isOk()).isTrue();

    CallKind.Outcome refused = CallKind.UNARY.call(limited.channel, TestTokens.bearer(token), "x");

    assertThat(refused.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    // The refused call did not spend the role budget: other methods still have a token.
    assertThat(CallKind.SERVER_STREAMING.call(limited.channel, TestTokens.bearer(token), "x").status().isOk())
        .isTrue();
  }

  @Test
  void eachPrincipalHasItsOwnBucket() {
    spendTheUserBurst(platform.tokens.user(1));

    assertThat(call(CallKind.SERVER_STREAMING, platform.tokens.user(2)).status().isOk()).isTrue();
  }

  @Test
  void adminsHaveTheirOwnLimit() {
    String admin = platform.tokens.admin(7);
    for (int i = 0; i < 5; i++) {
      assertThat(call(CallKind.SERVER_STREAMING, admin).status().isOk()).as("call %d", i).isTrue();
    }
    assertThat(call(CallKind.SERVER_STREAMING, admin).status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void aSubjectWithAnotherRoleGetsThatRolesLimitNotTheBucketOfTheFirstRoleSeen() {
    spendTheUserBurst(platform.tokens.user(7));

    String asAdmin = platform.tokens.admin(7);
    for (int i = 0; i < 5; i++) {
      assertThat(call(CallKind.SERVER_STREAMING, asAdmin).status().isOk()).as("call %d", i).isTrue();
    }
  }

  @Test
  void servicesAreExemptByDefault() {
    String service = platform.tokens.service("order-service");
    for (int i = 0; i < 20; i++) {
      assertThat(call(CallKind.UNARY, service).status().isOk()).as("call %d", i).isTrue();
    }
  }

  /** Calls until the user limit (burst 2) refuses. */
  private void spendTheUserBurst(String token) {
    call(CallKind.SERVER_STREAMING, token);
    call(CallKind.SERVER_STREAMING, token);
    assertThat(call(CallKind.SERVER_STREAMING, token).status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  private CallKind.Outcome call(CallKind kind, String token) {
    return kind.call(platform.channel, TestTokens.bearer(token), "whoami");
  }
}
