package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.AuthInterceptor;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/**
 * Call credentials that send one fixed token as {@code authorization: Bearer <token>}: for tools, load clients and
 * tests that hold a token already. A service's own token, minted and renewed, is {@link ServiceTokenCredentials}.
 */
public final class BearerToken extends CallCredentials {
  private final String token;

  public BearerToken(String token) {
    this.token = requireNonNull(token, "token");
  }

  @Override
  public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    applier.apply(headersFor(token));
  }

  /** The header that carries {@code token}. */
  static Metadata headersFor(String token) {
    Metadata headers = new Metadata();
    headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
    return headers;
  }
}
