package dev.trellis.platform.client;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's own credentials in a cluster without mesh identity: a JWT (sub = the service name, role service)
 * signed by the cluster's issuer and mounted from a Secret ({@value #VARIABLE}). The file is read again every
 * {@link #REREAD} (a tiny file), so a rotated Secret takes effect without a restart; while a re-read fails, the
 * last good token is kept. It replaces the mesh's identity, not its encryption: calls go in plaintext to the
 * sidecar ({@link ServiceChannels}), so the network beyond must be encrypted by the mesh.
 */
public final class TokenFileCredentials extends RenewingCredentials {
  /** The setting naming the token file. */
  public static final String VARIABLE = "TRELLIS_SERVICE_TOKEN_FILE";
  static final Duration REREAD = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(TokenFileCredentials.class);

  private final Path file;

  private TokenFileCredentials(Path file, Clock clock, String token) {
    super(clock, new Token(token, clock.instant().plus(REREAD)));
    this.file = file;
  }

  /**
   * Reads the token file once, so that a missing or empty file stops the start.
   *
   * @throws ConfigException when the file cannot be read or holds no token
   */
  public static TokenFileCredentials open(Path file, Clock clock) {
    requireNonNull(file, "file");
    requireNonNull(clock, "clock");
    try {
      return new TokenFileCredentials(file, clock, read(file));
    } catch (IOException e) {
      throw new ConfigException(VARIABLE + " (" + file + ") must be a readable file holding this service's JWT");
    }
  }

  @Override
  Token renew(Token previous, Instant now) {
    String token = previous.value();
    try {
      token = read(file);
    } catch (IOException e) {
      log.warn("cannot read the service token file {} again ({}); keeping the last token", file, e.toString());
    }
    return new Token(token, now.plus(REREAD));
  }

  private static String read(Path file) throws IOException {
    String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (token.isEmpty()) {
      throw new IOException("the file is empty");
    }
    return token;
  }
}
