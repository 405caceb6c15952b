package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.platform.error.UnauthenticatedException;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthGrpc;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decides who is calling and hands the verified {@link Principal} to the call's record: the server gives this step,
 * and only this one, the record's principal writer, and handlers read the principal back from
 * {@code CallContext.principal()}. The caller is proven by {@code authorization: Bearer <JWT>} ({@link JwtVerifier}) or, in mesh mode and without a
 * token, by the sidecar's client certificate ({@link MeshIdentity}). Health and both reflection services are
 * public; every other method needs a principal, else UNAUTHENTICATED with a reason that leaks neither the token
 * nor the key. Whether that principal may call the method is the access step's to say ({@link AccessInterceptor}).
 */
public final class AuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Services anyone may call: probes and tools (grpcurl, buf curl) must work without a token. */
  static final Set<String> PUBLIC_SERVICES = Set.of(
      HealthGrpc.SERVICE_NAME,
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");

  private static final String BEARER = "bearer ";

  private final JwtVerifier verifier;
  private final MeshIdentity mesh;
  private final Consumer<Principal> authenticated;

  /**
   * @param authenticated where the verified principal of a call goes: the call record's writer, which the server
   *     hands to this step alone
   */
  public AuthInterceptor(AuthConfig config, Clock clock, Consumer<Principal> authenticated) {
    requireNonNull(config, "config");
    this.authenticated = requireNonNull(authenticated, "authenticated");
    this.verifier = new JwtVerifier(config, clock);
    this.mesh = config.mesh() ? new MeshIdentity(config.meshTrustDomain(), config.meshServiceAccounts()) : null;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (PUBLIC_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    Principal principal;
    try {
      principal = authenticate(headers);
    } catch (ApiException e) {
      return StatusMapper.reject(call, e);
    }
    authenticated.accept(principal);
    return next.startCall(call, headers);
  }

  private Principal authenticate(Metadata headers) {
    String authorization = headers.get(AUTHORIZATION);
    if (authorization != null) {
      if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
          || authorization.length() == BEARER.length()) {
        throw new UnauthenticatedException("authorization must be 'Bearer <token>'");
      }
      return verifier.verify(authorization.substring(BEARER.length()).trim());
    }
    if (mesh != null) {
      Optional<Principal> service = mesh.principalOf(headers);
      if (service.isPresent()) {
        return service.get();
      }
    }
    throw new UnauthenticatedException("missing bearer token");
  }
}
