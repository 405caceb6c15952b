package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.trellis.platform.config.ConfigException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Mints HS256 tokens with the local dev key, for local development only (servers accept them in dev mode alone):
 * {@code ./trellis token} prints one for a user, and services sign their own service tokens with it. The key is a
 * JWK in a file of the state directory, created with mode 0600 by whichever process needs it first.
 */
public final class DevTokens {
  /** The key id of the dev key; tokens carry it in their header. */
  public static final String KEY_ID = "trellis-dev";

  private final MACSigner signer;
  private final String issuer;
  private final String audience;
  private final Clock clock;

  private DevTokens(OctetSequenceKey key, String issuer, String audience, Clock clock) {
    try {
      this.signer = new MACSigner(key);
    } catch (JOSEException e) {
      throw new IllegalStateException("the dev key is not an HS256 key", e);
    }
    this.issuer = requireNonNull(issuer, "issuer");
    this.audience = requireNonNull(audience, "audience");
    this.clock = requireNonNull(clock, "clock");
  }

  /** A minter for the dev key of {@code config}, creating the key file when missing. */
  public static DevTokens create(AuthConfig config, Clock clock) {
    requireNonNull(config, "config");
    return new DevTokens(loadOrCreateKey(config.devKeyFile()), config.issuer(), config.audience(), clock);
  }

  /** A token for {@code subject} with {@code roles}, valid from now for {@code ttl}. */
  public String mint(String subject, Set<String> roles, Duration ttl) {
    requireNonNull(subject, "subject");
    requireNonNull(roles, "roles");
    requireNonNull(ttl, "ttl");
    Instant now = clock.instant();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(audience)
        .subject(subject)
        .claim("roles", List.copyOf(roles))
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .jwtID(UUID.randomUUID().toString())
        .build();
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(KEY_ID).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing a dev token failed", e);
    }
    return jwt.serialize();
  }

  /**
   * The dev key in {@code file}; creates it (256 random bits, mode 0600) when missing. Two processes starting at
   * once may both create one: each writes a private temporary file and links it into place, and the loser reads the
   * winner's key.
   */
  static OctetSequenceKey loadOrCreateKey(Path file) {
    try {
      if (!Files.exists(file)) {
        writeNewKey(file);
      }
      JWK jwk = JWK.parse(Files.readString(file));
      if (!(jwk instanceof OctetSequenceKey key) || key.size() < 256) {
        throw new ConfigException(AuthConfig.DEV_KEY_FILE + " (" + file + ") must hold a JWK with a secret of at"
            + " least 256 bits");
      }
      return key;
    } catch (IOException e) {
      throw new ConfigException(AuthConfig.DEV_KEY_FILE + " (" + file + ") cannot be read or created: "
          + e.getMessage());
    } catch (ParseException e) {
      throw new ConfigException(AuthConfig.DEV_KEY_FILE + " (" + file + ") is not a JWK");
    }
  }

  private static void writeNewKey(Path file) throws IOException {
    OctetSequenceKey key;
    try {
      key = new OctetSequenceKeyGenerator(256).keyID(KEY_ID).algorithm(JWSAlgorithm.HS256).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, ".dev-key", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(temp, key.toJSONString());
      Files.createLink(file, temp);
    } catch (FileAlreadyExistsException lostTheRace) {
      // another process created the key first; use theirs
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
