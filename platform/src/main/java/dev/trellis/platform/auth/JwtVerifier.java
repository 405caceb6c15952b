package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.error.UnauthenticatedException;
import dev.trellis.platform.error.UnavailableException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies bearer JWTs with Nimbus JOSE+JWT (signature, exp, nbf, iss, aud, within a small clock skew) and turns
 * them into a {@link Principal}. Each distinct token is verified once: the verdict is cached, bounded, until the
 * token expires or for at most five minutes (a rejection for a few seconds), because a signature check per call
 * cost about half of the whole interceptor chain in a probe. Failure messages say what is wrong ("token expired",
 * "wrong audience") and never echo the token or the key.
 */
public final class JwtVerifier {
  static final String ROLES_CLAIM = "roles";
  private static final Set<String> KNOWN_ROLES = Set.of(Principal.USER, Principal.ADMIN, Principal.SERVICE);
  private static final Set<JWSAlgorithm> CLUSTER_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
  /**
   * How long an acceptance is remembered at most, when the token lives longer: a key removed from the JWKS URL's
   * set (a rotation after a leak) stops a token it signed within this time plus Nimbus's own JWKS cache time. A
   * JWKS file is read at start: changing it takes a restart (a rolling one, in a cluster).
   */
  private static final Duration ACCEPTANCE_MEMORY = Duration.ofMinutes(5);
  /** How long a rejection is remembered: long enough to absorb a retry storm, short enough for nbf to pass. */
  private static final Duration REJECTION_MEMORY = Duration.ofSeconds(5);
  /** Verdicts are weighed by token length: at most this many characters of tokens are kept. */
  private static final long CACHE_CHARS = 32L * 1024 * 1024;

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final Cache<String, Verdict> verdicts;
  private final Clock clock;
  private final Duration clockSkew;
  private final Duration maxLifetime;

  public JwtVerifier(AuthConfig config, Clock clock) {
    requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.clockSkew = config.clockSkew();
    this.maxLifetime = config.maxTokenLifetime();
    processor.setJWSKeySelector(keySelector(config));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        Set.of(config.audience()),
        new JWTClaimsSet.Builder().issuer(config.issuer()).build(),
        Set.of("sub", "exp", ROLES_CLAIM),
        Set.of()) {
      @Override
      protected Date currentTime() {
        return Date.from(clock.instant());
      }
    };
    claims.setMaxClockSkew((int) clockSkew.toSeconds());
    processor.setJWTClaimsSetVerifier(claims);
    this.verdicts = Caffeine.newBuilder()
        .maximumWeight(CACHE_CHARS)
        .weigher((String token, Verdict verdict) -> token.length())
        .expireAfter(Expiry.creating((String token, Verdict verdict) ->
            maxZero(Duration.between(clock.instant(), verdict.until()))))
        .ticker(() -> nanos(clock.instant()))
        .executor(Runnable::run) // upkeep on the calling thread, as TokenBuckets does: no hand-off per few calls
        .build();
  }

  /**
   * The principal a token proves.
   *
   * @throws UnauthenticatedException when the token is not acceptable, with the reason
   * @throws UnavailableException when the keys cannot be fetched (JWKS URL down); not remembered
   */
  public Principal verify(String token) {
    requireNonNull(token, "token");
    Verdict verdict = verdicts.get(token, this::verifyOnce);
    if (verdict instanceof Verdict.Rejected rejected) {
      throw new UnauthenticatedException(rejected.reason());
    }
    return ((Verdict.Accepted) verdict).principal();
  }

  private Verdict verifyOnce(String token) {
    Instant now = clock.instant();
    try {
      JWTClaimsSet claims = processor.process(token, null);
      return principalOf(claims, now);
    } catch (ExpiredJWTException e) {
      return rejected("token expired", now);
    } catch (BadJWTException e) {
      return rejected(claimReason(e.getMessage()), now);
    } catch (BadJWSException e) {
      return rejected("bad signature", now);
    } catch (BadJOSEException e) {
      return rejected("token algorithm or signing key not accepted", now);
    } catch (ParseException e) {
      return rejected("malformed token", now);
    } catch (KeySourceException e) {
      throw new UnavailableException("the token signing keys cannot be fetched; retry later");
    } catch (JOSEException e) {
      return rejected("token cannot be verified", now);
    }
  }

  private Verdict principalOf(JWTClaimsSet claims, Instant now) {
    List<String> roles;
    try {
      roles = claims.getStringListClaim(ROLES_CLAIM);
    } catch (ParseException e) {
      return rejected("roles must be a list of strings", now);
    }
    if (roles == null || roles.isEmpty()) {
      return rejected("token has no roles", now);
    }
    if (!KNOWN_ROLES.containsAll(roles)) {
      return rejected("token has an unknown role; roles are user, admin and service", now);
    }
    String subject = claims.getSubject();
    if (subject == null || subject.isBlank()) {
      return rejected("token has no subject", now);
    }
    Instant exp = claims.getExpirationTime().toInstant();
    Instant issued = claims.getIssueTime() == null ? now : claims.getIssueTime().toInstant();
    if (exp.isAfter(now.plus(maxLifetime).plus(clockSkew)) || exp.isAfter(issued.plus(maxLifetime).plus(clockSkew))) {
      return rejected("token lives longer than the " + describe(maxLifetime) + " this server accepts", now);
    }
    Instant expires = exp.plus(clockSkew);
    Instant recheck = now.plus(ACCEPTANCE_MEMORY);
    Instant acceptedUntil = expires.isBefore(recheck) ? expires : recheck;
    return new Verdict.Accepted(new Principal(subject, new HashSet<>(roles)), acceptedUntil);
  }

  /**
   * The client-facing reason for a claim Nimbus rejected. Nimbus says which claim in its message; the tests pin
   * every case, so a wording change in a Nimbus upgrade shows up there.
   */
  private static String claimReason(String message) {
    String missingPrefix = "JWT missing required claims: ";
    String claim = message.startsWith(missingPrefix) ? message.substring(missingPrefix.length()) : message;
    if (claim.contains("aud")) {
      return "wrong audience";
    } else if (claim.contains("iss")) {
      return "wrong issuer";
    } else if (message.contains("before use time")) {
      return "token not yet valid";
    } else if (message.startsWith(missingPrefix)) {
      return "token lacks a required claim (sub, exp, roles)";
    }
    return "token claims rejected";
  }

  private static Verdict rejected(String reason, Instant now) {
    return new Verdict.Rejected(reason, now.plus(REJECTION_MEMORY));
  }

  private static JWSKeySelector<SecurityContext> keySelector(AuthConfig config) {
    JWSKeySelector<SecurityContext> cluster = config.jwksFile().isPresent() || config.jwksUrl().isPresent()
        ? new JWSVerificationKeySelector<>(CLUSTER_ALGORITHMS, clusterKeys(config))
        : null;
    if (!config.devMode()) {
      return cluster;
    }
    JWSKeySelector<SecurityContext> dev = new JWSVerificationKeySelector<>(JWSAlgorithm.HS256,
        new ImmutableJWKSet<>(new JWKSet(DevTokens.loadOrCreateKey(config.devKeyFile()))));
    if (cluster == null) {
      return dev;
    }
    return (header, context) -> JWSAlgorithm.HS256.equals(header.getAlgorithm())
        ? dev.selectJWSKeys(header, context)
        : cluster.selectJWSKeys(header, context);
  }

  private static JWKSource<SecurityContext> clusterKeys(AuthConfig config) {
    if (config.jwksUrl().isPresent()) {
      try {
        // Cached, refreshed ahead of expiry and rate limited by Nimbus.
        return JWKSourceBuilder.<SecurityContext>create(config.jwksUrl().get().toURL()).build();
      } catch (MalformedURLException e) {
        throw new ConfigException(AuthConfig.JWKS_URL + " is not a valid URL");
      }
    }
    try {
      return new ImmutableJWKSet<>(JWKSet.load(config.jwksFile().orElseThrow().toFile()));
    } catch (IOException | ParseException e) {
      throw new ConfigException(AuthConfig.JWKS_FILE + " (" + config.jwksFile().get()
          + ") must be a readable JWKS file: " + e.getMessage());
    }
  }

  /** {@code 24h} or {@code 90m}, as the setting is written. */
  static String describe(Duration d) {
    return d.toMinutesPart() == 0 && d.toSecondsPart() == 0 ? d.toHours() + "h" : d.toMinutes() + "m";
  }

  private static Duration maxZero(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  /** What verifying a token concluded, and until when that holds. */
  private sealed interface Verdict {
    Instant until();

    record Accepted(Principal principal, Instant until) implements Verdict {}

    record Rejected(String reason, Instant until) implements Verdict {}
  }
}
