package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.AuthInterceptor;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.client.BearerToken;
import io.grpc.CallCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * A matched pair for tests: the {@link AuthConfig} a test server verifies with (dev mode, HS256, its own key) and a
 * minter of tokens that server accepts. Give both the same clock to test expiry by moving it.
 *
 * <pre>{@code
 * TestTokens tokens = TestTokens.create(clock);
 * TrellisServer server = TrellisServer.builder(config).auth(tokens.authConfig()).clock(clock)...;
 * stub.withCallCredentials(TestTokens.bearer(tokens.user(42)))
 * }</pre>
 */
public final class TestTokens {
  /** How long tokens from the shortcuts live. */
  public static final Duration TTL = Duration.ofHours(1);

  private final AuthConfig config;
  private final DevTokens tokens;
  private final Clock clock;

  private TestTokens(AuthConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.tokens = DevTokens.create(config, clock);
  }

  /** Tokens signed with a fresh key in a temporary file. */
  public static TestTokens create(Clock clock) {
    try {
      Path dir = Files.createTempDirectory("trellis-test-key");
      dir.toFile().deleteOnExit();
      Path key = dir.resolve("dev-jwt-key.json");
      key.toFile().deleteOnExit();
      return create(key, clock);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Tokens signed with the key in {@code keyFile} (created when missing). */
  public static TestTokens create(Path keyFile, Clock clock) {
    return new TestTokens(AuthConfig.dev(requireNonNull(keyFile, "keyFile")), requireNonNull(clock, "clock"));
  }

  /** What the server under test verifies tokens with. */
  public AuthConfig authConfig() {
    return config;
  }

  public String mint(String subject, Set<String> roles, Duration ttl) {
    return tokens.mint(subject, roles, ttl);
  }

  public String user(long userId) {
    return mint(Long.toString(userId), Set.of(Principal.USER), TTL);
  }

  public String admin(long userId) {
    return mint(Long.toString(userId), Set.of(Principal.ADMIN), TTL);
  }

  public String service(String name) {
    return mint(name, Set.of(Principal.SERVICE), TTL);
  }

  /** A minter with the same key and clock but another issuer and audience: tokens the server must refuse. */
  public DevTokens minter(String issuer, String audience) {
    AuthConfig other = new AuthConfig(issuer, audience, config.clockSkew(), config.jwksFile(), config.jwksUrl(),
        true, config.devKeyFile(), false, config.meshTrustDomain(), config.meshServiceAccounts());
    return DevTokens.create(other, clock);
  }

  /** Per-call credentials sending {@code token}: {@code stub.withCallCredentials(TestTokens.bearer(token))}. */
  public static CallCredentials bearer(String token) {
    return new BearerToken(token);
  }

  /** A channel-wide interceptor sending {@code token} with every call. */
  public static ClientInterceptor bearerHeader(String token) {
    Metadata headers = new Metadata();
    headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + requireNonNull(token, "token"));
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
