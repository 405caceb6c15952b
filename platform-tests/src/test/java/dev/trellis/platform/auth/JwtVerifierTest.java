package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.platform.error.UnauthenticatedException;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.TestTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster key path (RS256/ES256 from a JWKS file), the dev-mode boundary, clock skew and the verdict cache. */
class JwtVerifierTest {
  private static final String ISSUER = "https://login.trellis.dev";
  private static final String AUDIENCE = "trellis-api";

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.startingNow();
  private RSAKey rsa;
  private ECKey ec;
  private JwtVerifier verifier;

  @BeforeEach
  void keys() throws Exception {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
    verifier = new JwtVerifier(clusterConfig(jwks, false), clock);
  }

  @Test
  void acceptsRs256AndEs256FromTheJwksFile() throws Exception {
    Principal fromRsa = verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("42")));
    Principal fromEc = verifier.verify(sign(new ECDSASigner(ec), JWSAlgorithm.ES256, "ec-1", claims("43")));

    assertThat(fromRsa).isEqualTo(new Principal("42", Set.of(Principal.USER)));
    assertThat(fromEc.subject()).isEqualTo("43");
  }

  @Test
  void refusesHs256DevTokensOutsideDevMode() {
    String devToken = TestTokens.create(dir.resolve("dev.json"), clock).user(42);

    assertThatThrownBy(() -> verifier.verify(devToken))
        .isInstanceOf(UnauthenticatedException.class)
        .hasMessage("token algorithm or signing key not accepted");
  }

  @Test
  void devModeAcceptsBothDevAndClusterTokens() throws Exception {
    TestTokens dev = TestTokens.create(dir.resolve("dev.json"), clock);
    Path jwks = dir.resolve("jwks.json");
    AuthConfig both = new AuthConfig(ISSUER, AUDIENCE, Duration.ofSeconds(30), Optional.of(jwks), Optional.empty(),
        true, dir.resolve("dev.json"), false, "cluster.local", Set.of());
    JwtVerifier devVerifier = new JwtVerifier(both, clock);
    String devToken = dev.minter(ISSUER, AUDIENCE).mint("7", Set.of(Principal.ADMIN), Duration.ofMinutes(1));

    assertThat(devVerifier.verify(devToken).isAdmin()).isTrue();
    assertThat(devVerifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("42"))).subject())
        .isEqualTo("42");
  }

  @Test
  void verifiesEachTokenOnceAndRemembersTheVerdict() throws Exception {
    String token = sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("42"));

    // The same Principal instance twice: the second call was answered from the cache.
    assertThat(verifier.verify(token)).isSameAs(verifier.verify(token));
  }

  @Test
  void aLongLivedTokenIsVerifiedAgainAfterFiveMinutesSoARemovedKeyStopsIt() throws Exception {
    String token = sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("42")); // lives 10 minutes
    Principal first = verifier.verify(token);

    clock.advance(Duration.ofMinutes(4));
    assertThat(verifier.verify(token)).as("still remembered").isSameAs(first);
    clock.advance(Duration.ofMinutes(2));
    Principal again = verifier.verify(token);
    assertThat(again).as("verified anew").isNotSameAs(first).isEqualTo(first);
  }

  @Test
  void acceptsWithinTheClockSkewAndRefusesAfterIt() throws Exception {
    String token = sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("42")); // exp = now + 10 min

    clock.advance(Duration.ofMinutes(10).plusSeconds(20)); // past exp, within the 30 s skew
    assertThat(verifier.verify(token).subject()).isEqualTo("42");

    clock.advance(Duration.ofSeconds(11));
    assertThatThrownBy(() -> verifier.verify(token)).hasMessage("token expired");
  }

  @Test
  void refusesATokenThatLivesLongerThanTheServerAccepts() throws Exception {
    Instant now = clock.instant();
    JWTClaimsSet yearLong = new JWTClaimsSet.Builder(claims("42"))
        .expirationTime(Date.from(now.plus(Duration.ofDays(365)))).build();
    JWTClaimsSet issuedLongAgo = new JWTClaimsSet.Builder(claims("42"))
        .issueTime(Date.from(now.minus(Duration.ofDays(30)))).build(); // expires in 10 minutes, lived 30 days
    JWTClaimsSet aDay = new JWTClaimsSet.Builder(claims("42"))
        .expirationTime(Date.from(now.plus(Duration.ofHours(24)))).build();

    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", yearLong)))
        .hasMessage("token lives longer than the 24h this server accepts");
    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1",
        issuedLongAgo))).hasMessage("token lives longer than the 24h this server accepts");
    assertThat(verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", aDay)).subject())
        .isEqualTo("42");
    JwtVerifier strict = new JwtVerifier(clusterConfig(dir.resolve("jwks.json"), false)
        .withMaxTokenLifetime(Duration.ofMinutes(5)),
        clock);
    assertThatThrownBy(() -> strict.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", claims("42"))))
        .hasMessage("token lives longer than the 5m this server accepts");
  }

  @Test
  void refusesATokenNotYetValid() throws Exception {
    JWTClaimsSet early = new JWTClaimsSet.Builder(claims("42"))
        .notBeforeTime(Date.from(clock.instant().plus(Duration.ofMinutes(2))))
        .build();

    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", early)))
        .hasMessage("token not yet valid");
  }

  @Test
  void refusesAnUnknownKeyId() throws Exception {
    RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-2").generate();

    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(stranger), JWSAlgorithm.RS256, "rsa-2",
        claims("42")))).hasMessage("token algorithm or signing key not accepted");
  }

  @Test
  void refusesAForgedSignatureUnderAKnownKeyId() throws Exception {
    RSAKey forger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();

    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(forger), JWSAlgorithm.RS256, "rsa-1",
        claims("42")))).hasMessage("bad signature");
  }

  @Test
  void refusesTokensWithoutSubjectOrExpiry() throws Exception {
    JWTClaimsSet noExp = new JWTClaimsSet.Builder(claims("42")).expirationTime(null).build();
    JWTClaimsSet noSub = new JWTClaimsSet.Builder(claims("42")).subject(null).build();

    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", noExp)))
        .hasMessage("token lacks a required claim (sub, exp, roles)");
    assertThatThrownBy(() -> verifier.verify(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", noSub)))
        .hasMessage("token lacks a required claim (sub, exp, roles)");
  }

  @Test
  void reasonsNeverEchoTheToken() throws Exception {
    String token = sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1",
        new JWTClaimsSet.Builder(claims("42")).issuer("https://evil.example").build());

    assertThatThrownBy(() -> verifier.verify(token))
        .hasMessage("wrong issuer")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token).doesNotContain("evil"));
  }

  private JWTClaimsSet claims(String subject) {
    Instant now = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject(subject)
        .claim("roles", List.of(Principal.USER))
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
        .build();
  }

  private static String sign(JWSSigner signer, JWSAlgorithm alg, String keyId, JWTClaimsSet claims)
      throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(keyId).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  private AuthConfig clusterConfig(Path jwks, boolean devMode) {
    return new AuthConfig(ISSUER, AUDIENCE, Duration.ofSeconds(30), Optional.of(jwks), Optional.empty(), devMode,
        dir.resolve("unused-dev-key.json"), false, "cluster.local", Set.of());
  }
}
