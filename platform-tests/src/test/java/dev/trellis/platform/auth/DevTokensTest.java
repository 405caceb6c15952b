package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevTokensTest {
  @TempDir Path dir;
  private final MutableClock clock = MutableClock.startingNow();

  @Test
  void createsTheKeyFileReadableByItsOwnerOnly() throws Exception {
    Path key = dir.resolve("state/dev-jwt-key.json");

    DevTokens.create(AuthConfig.dev(key), clock);

    assertThat(Files.getPosixFilePermissions(key))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    try (var files = Files.list(key.getParent())) {
      assertThat(files).as("no temporary file left").containsExactly(key);
    }
  }

  @Test
  void reusesAnExistingKey() throws Exception {
    Path key = dir.resolve("dev-jwt-key.json");
    DevTokens first = DevTokens.create(AuthConfig.dev(key), clock);
    String before = Files.readString(key);

    String token = first.mint("42", Set.of(Principal.USER), Duration.ofMinutes(1));
    DevTokens.create(AuthConfig.dev(key), clock);

    assertThat(Files.readString(key)).isEqualTo(before);
    assertThat(new JwtVerifier(AuthConfig.dev(key), clock).verify(token).subject()).isEqualTo("42");
  }

  @Test
  void mintsTheClaimsServersCheck() throws Exception {
    DevTokens tokens = DevTokens.create(AuthConfig.dev(dir.resolve("k.json")), clock);

    SignedJWT jwt = SignedJWT.parse(tokens.mint("order-service", Set.of(Principal.SERVICE), Duration.ofHours(1)));

    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("HS256");
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(DevTokens.KEY_ID);
    assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("order-service");
    assertThat(jwt.getJWTClaimsSet().getStringListClaim("roles")).containsExactly("service");
    assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo(AuthConfig.DEV_ISSUER);
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly(AuthConfig.DEV_AUDIENCE);
    assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant())
        .isEqualTo(clock.instant().plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  @Test
  void aKeyFileThatIsNoKeyNamesTheVariable() throws Exception {
    Path key = dir.resolve("k.json");
    Files.writeString(key, "hello");

    assertThatThrownBy(() -> DevTokens.create(AuthConfig.dev(key), clock))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_DEV_KEY_FILE (" + key + ") is not a JWK");
  }
}
