package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How a server decides who is calling, read once at start.
 *
 * <p>Users (and, locally, services) present {@code authorization: Bearer <JWT>}. In clusters the JWTs are RS256 or
 * ES256, checked against a JWKS file or URL; HS256 with the local dev key is accepted only in dev mode.
 *
 * <p>Service identity in clusters: the mesh's mTLS identity (decided for Trellis). With {@code mesh} on, a call
 * without a bearer token is a service call when the sidecar's {@code x-forwarded-client-cert} names a trusted
 * service account; see {@link MeshIdentity}. That is only safe when every request reaches the process through its
 * sidecar (Istio STRICT mTLS), which is why it is off unless configured.
 *
 * @param issuer the required {@code iss}
 * @param audience the required {@code aud} (one of the token's audiences)
 * @param clockSkew how far exp and nbf may be off
 * @param jwksFile a JWKS file with the RS256/ES256 verification keys
 * @param jwksUrl a JWKS URL with the RS256/ES256 verification keys
 * @param devMode whether HS256 tokens signed with the dev key are accepted (local development only)
 * @param devKeyFile the dev key (a JWK), created with mode 0600 when missing
 * @param mesh whether the sidecar's client certificate header is trusted
 * @param meshTrustDomain the SPIFFE trust domain of the mesh
 * @param meshServiceAccounts the service accounts trusted as services: {@code name} (any namespace) or
 *     {@code namespace/name}
 * @param maxTokenLifetime the longest a token may live: one whose {@code exp} lies further from now (or from its
 *     {@code iat}) is refused, so a token minted to last for years is not accepted for years
 */
public record AuthConfig(
    String issuer,
    String audience,
    Duration clockSkew,
    Optional<Path> jwksFile,
    Optional<URI> jwksUrl,
    boolean devMode,
    Path devKeyFile,
    boolean mesh,
    String meshTrustDomain,
    Set<String> meshServiceAccounts,
    Duration maxTokenLifetime) {
  public static final String DEV_MODE = "TRELLIS_DEV_MODE";
  public static final String DEV_KEY_FILE = "TRELLIS_DEV_KEY_FILE";
  public static final String ISSUER = "TRELLIS_JWT_ISSUER";
  public static final String AUDIENCE = "TRELLIS_JWT_AUDIENCE";
  public static final String JWKS_FILE = "TRELLIS_JWT_JWKS_FILE";
  public static final String JWKS_URL = "TRELLIS_JWT_JWKS_URL";
  public static final String CLOCK_SKEW = "TRELLIS_JWT_CLOCK_SKEW";
  public static final String MESH = "TRELLIS_AUTH_MESH";
  public static final String MESH_TRUST_DOMAIN = "TRELLIS_AUTH_MESH_TRUST_DOMAIN";
  public static final String MESH_SERVICE_ACCOUNTS = "TRELLIS_AUTH_MESH_SERVICE_ACCOUNTS";
  public static final String MAX_TOKEN_LIFETIME = "TRELLIS_JWT_MAX_TOKEN_LIFETIME";
  /** The default of {@value #MAX_TOKEN_LIFETIME}: a working day and then some; dev tokens stay within it. */
  public static final Duration DEFAULT_MAX_TOKEN_LIFETIME = Duration.ofHours(24);

  /** The issuer and audience of dev tokens, when not configured. */
  public static final String DEV_ISSUER = "trellis-dev";
  public static final String DEV_AUDIENCE = "trellis";

  public AuthConfig {
    requireNonNull(issuer, "issuer");
    requireNonNull(audience, "audience");
    requireNonNull(jwksFile, "jwksFile");
    requireNonNull(jwksUrl, "jwksUrl");
    requireNonNull(devKeyFile, "devKeyFile");
    requireNonNull(meshTrustDomain, "meshTrustDomain");
    meshServiceAccounts = Set.copyOf(requireNonNull(meshServiceAccounts, "meshServiceAccounts"));
    Require.that(jwksFile.isEmpty() || jwksUrl.isEmpty(), "set only one of " + JWKS_FILE + " and " + JWKS_URL);
    Require.that(devMode || jwksFile.isPresent() || jwksUrl.isPresent(), JWKS_FILE + " or " + JWKS_URL
        + " is required (the keys that verify tokens), unless " + DEV_MODE + "=true for local development");
    Require.that(!issuer.isEmpty(), ISSUER + " is required but not set");
    Require.that(!audience.isEmpty(), AUDIENCE + " is required but not set");
    Require.atMost(CLOCK_SKEW, Require.atLeast(CLOCK_SKEW, clockSkew, Duration.ZERO), MAX_CLOCK_SKEW);
    Require.that(!mesh || !meshServiceAccounts.isEmpty(), MESH_SERVICE_ACCOUNTS + " must name the trusted service"
        + " accounts when " + MESH + "=true (for example order-service or trellis/order-service)");
    Require.atMost(MAX_TOKEN_LIFETIME, Require.atLeast(MAX_TOKEN_LIFETIME, maxTokenLifetime, Duration.ofMinutes(1)),
        Duration.ofDays(30));
  }

  /** A configuration with the default {@value #MAX_TOKEN_LIFETIME}. */
  public AuthConfig(String issuer, String audience, Duration clockSkew, Optional<Path> jwksFile,
      Optional<URI> jwksUrl, boolean devMode, Path devKeyFile, boolean mesh, String meshTrustDomain,
      Set<String> meshServiceAccounts) {
    this(issuer, audience, clockSkew, jwksFile, jwksUrl, devMode, devKeyFile, mesh, meshTrustDomain,
        meshServiceAccounts, DEFAULT_MAX_TOKEN_LIFETIME);
  }

  private static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
  private static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
  private static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

  /** A dev-mode configuration: HS256 tokens signed with the key in {@code devKeyFile}, default issuer/audience. */
  public static AuthConfig dev(Path devKeyFile) {
    return new AuthConfig(DEV_ISSUER, DEV_AUDIENCE, DEFAULT_CLOCK_SKEW, Optional.empty(), Optional.empty(),
        true, devKeyFile, false, DEFAULT_TRUST_DOMAIN, Set.of());
  }

  /** The same configuration with another {@code maxTokenLifetime}. */
  public AuthConfig withMaxTokenLifetime(Duration maxTokenLifetime) {
    return new AuthConfig(issuer, audience, clockSkew, jwksFile, jwksUrl, devMode, devKeyFile, mesh, meshTrustDomain,
        meshServiceAccounts, maxTokenLifetime);
  }

  /** Reads every {@code TRELLIS_JWT_*}, {@code TRELLIS_AUTH_MESH*} and the dev-mode variables. */
  public static AuthConfig fromSettings(Settings settings) {
    boolean devMode = settings.bool(DEV_MODE, false);
    Optional<Path> jwksFile = settings.optional(JWKS_FILE).map(Path::of);
    Optional<URI> jwksUrl = settings.optional(JWKS_URL).map(AuthConfig::httpUri);
    return new AuthConfig(
        settings.string(ISSUER, devMode ? DEV_ISSUER : ""),
        settings.string(AUDIENCE, devMode ? DEV_AUDIENCE : ""),
        settings.duration(CLOCK_SKEW, DEFAULT_CLOCK_SKEW),
        jwksFile,
        jwksUrl,
        devMode,
        settings.path(DEV_KEY_FILE, StateDirectory.fromSettings(settings).devKeyFile()),
        settings.bool(MESH, false),
        settings.string(MESH_TRUST_DOMAIN, DEFAULT_TRUST_DOMAIN),
        Set.copyOf(settings.list(MESH_SERVICE_ACCOUNTS)),
        settings.duration(MAX_TOKEN_LIFETIME, DEFAULT_MAX_TOKEN_LIFETIME));
  }

  private static URI httpUri(String text) {
    try {
      URI uri = new URI(text);
      boolean http = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
      if (!http || uri.getHost() == null) {
        throw new ConfigException(JWKS_URL + " must be an http(s) URL, got '" + text + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(JWKS_URL + " must be an http(s) URL, got '" + text + "'");
    }
  }
}
