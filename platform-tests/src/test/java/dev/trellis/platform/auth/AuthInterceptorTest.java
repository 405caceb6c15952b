package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.TestTokens;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The auth interceptor behind the whole chain, over real stubs on the in-process transport, for every call kind. */
class AuthInterceptorTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture platform = PlatformFixture.start(grpc);

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void validTokenReachesTheHandler(CallKind kind) {
    CallKind.Outcome outcome = kind.call(platform.channel, bearer(platform.tokens.user(42)), "whoami");

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(outcome.messages()).isNotEmpty();
  }

  @Test
  void handlerReadsThePrincipalFromTheContext() {
    String subject = platform.blocking(platform.tokens.user(42))
        .unaryRpc(ScriptedService.request("whoami")).getResponseMessage();

    assertThat(subject).isEqualTo("42");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void missingTokenIsUnauthenticated(CallKind kind) {
    assertRejected(kind.call(platform.channel, null, "whoami"), "missing bearer token");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void expiredTokenIsUnauthenticated(CallKind kind) {
    String token = platform.tokens.mint("42", Set.of(Principal.USER), Duration.ofMinutes(5));
    assertThat(kind.call(platform.channel, bearer(token), "whoami").status().isOk()).isTrue();

    // Past exp and the allowed clock skew: the cached verdict must not outlive the token.
    platform.clock.advance(Duration.ofMinutes(5).plus(platform.tokens.authConfig().clockSkew()).plusSeconds(1));

    assertRejected(kind.call(platform.channel, bearer(token), "whoami"), "token expired");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void wrongIssuerIsUnauthenticated(CallKind kind) {
    String token = platform.tokens.minter("someone-else", AuthConfig.DEV_AUDIENCE)
        .mint("42", Set.of(Principal.USER), Duration.ofMinutes(5));

    assertRejected(kind.call(platform.channel, bearer(token), "whoami"), "wrong issuer");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void wrongAudienceIsUnauthenticated(CallKind kind) {
    String token = platform.tokens.minter(AuthConfig.DEV_ISSUER, "another-api")
        .mint("42", Set.of(Principal.USER), Duration.ofMinutes(5));

    assertRejected(kind.call(platform.channel, bearer(token), "whoami"), "wrong audience");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void badSignatureIsUnauthenticated(CallKind kind) {
    // Same key id, issuer and audience, another secret.
    String forged = TestTokens.create(platform.clock).user(42);

    assertRejected(kind.call(platform.channel, bearer(forged), "whoami"), "bad signature");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void tokenWithoutRolesIsUnauthenticated(CallKind kind) {
    String token = platform.tokens.mint("42", Set.of(), Duration.ofMinutes(5));

    assertRejected(kind.call(platform.channel, bearer(token), "whoami"), "token has no roles");
  }

  @Test
  void tokenWithUnknownRoleIsUnauthenticated() {
    String token = platform.tokens.mint("42", Set.of("root"), Duration.ofMinutes(5));

    assertRejected(CallKind.UNARY.call(platform.channel, bearer(token), "whoami"), "token has an unknown role");
  }

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void missingRoleForTheMethodIsPermissionDenied(CallKind kind) {
    CallKind.Outcome denied = kind.call(platform.channel, bearer(platform.tokens.user(42)), "admin-only");

    assertThat(denied.status().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(denied.status().getDescription()).isEqualTo("this method needs the role admin");
    assertThat(denied.messages()).isEmpty();
    CallKind.Outcome allowed = kind.call(platform.channel, bearer(platform.tokens.admin(1)), "admin-only");
    assertThat(allowed.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(allowed.messages()).isNotEmpty();
  }

  @Test
  void malformedTokenIsUnauthenticated() {
    assertRejected(CallKind.UNARY.call(platform.channel, bearer("not-a-jwt"), "whoami"), "malformed token");
  }

  @Test
  void otherAuthorizationSchemesAreUnauthenticated() {
    Metadata basic = new Metadata();
    basic.put(AuthInterceptor.AUTHORIZATION, "Basic dXNlcjpwYXNz");
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> platform.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(basic))
            .unaryRpc(ScriptedService.request("whoami")));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(e.getStatus().getDescription()).isEqualTo("authorization must be 'Bearer <token>'");
  }

  @Test
  void healthIsPublic() {
    var health = HealthGrpc.newBlockingStub(platform.channel)
        .check(HealthCheckRequest.newBuilder().setService("").build());

    assertThat(health.getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  private static CallCredentials bearer(String token) {
    return TestTokens.bearer(token);
  }

  private static void assertRejected(CallKind.Outcome outcome, String reason) {
    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(outcome.status().getDescription()).startsWith(reason);
    assertThat(outcome.messages()).isEmpty();
  }
}
