package dev.trellis.platform.data.query;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Require;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.error.InvalidArgumentException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque, tamper-evident page tokens (AIP-158). A token carries the last id of its page, a hash of the filter it
 * belongs to and an expiry, signed with HMAC-SHA256 under a key every replica shares, so any replica accepts the
 * token of any other. A token that was altered, signed with another key, expired or used with another filter is
 * INVALID_ARGUMENT on field {@code page_token}, never INTERNAL.
 *
 * <pre>
 *   base64url( version:1 | lastId:8 | expiresAtEpochSecond:8 | sha256(filter)[0..8) | hmacSha256(previous bytes):32 )
 * </pre>
 */
public final class PageTokenCodec {
  public static final String FIELD = "page_token";
  public static final String KEY = "TRELLIS_PAGE_TOKEN_KEY";
  public static final String KEY_FILE = "TRELLIS_PAGE_TOKEN_KEY_FILE";
  public static final String TTL = "TRELLIS_PAGE_TOKEN_TTL";
  /**
   * DEV ONLY: the key local dev mode uses when none is configured. It is public in this source, so a token signed
   * with it proves nothing; clusters must set {@value #KEY} or {@value #KEY_FILE}.
   */
  public static final String DEV_ONLY_KEY = "trellis-local-dev-mode-page-token-key-NOT-A-SECRET";
  public static final Duration DEFAULT_TTL = Duration.ofHours(1);
  public static final int MIN_KEY_BYTES = 32;

  private static final byte VERSION = 1;
  private static final int FILTER_HASH_BYTES = 8;
  private static final int MAC_BYTES = 32;
  private static final int BODY_BYTES = 1 + 8 + 8 + FILTER_HASH_BYTES;
  private static final String ALGORITHM = "HmacSHA256";

  private final Mac prototype;
  private final Clock clock;
  private final Duration ttl;

  public PageTokenCodec(byte[] key, Clock clock, Duration ttl) {
    requireNonNull(key, "key");
    this.clock = requireNonNull(clock, "clock");
    this.ttl = Require.positive(TTL, ttl);
    Require.that(key.length >= MIN_KEY_BYTES, KEY + " must be at least " + MIN_KEY_BYTES + " bytes long");
    try {
      prototype = Mac.getInstance(ALGORITHM);
      prototype.init(new SecretKeySpec(key, ALGORITHM));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * From {@value #KEY_FILE} (a mounted secret, wins) or {@value #KEY}, at least 32 bytes, and {@value #TTL}
   * (default 1h). Without a key, {@code devMode} selects {@link #DEV_ONLY_KEY}; otherwise it is a configuration error.
   */
  public static PageTokenCodec fromSettings(Settings settings, Clock clock, boolean devMode) {
    requireNonNull(settings, "settings");
    Optional<String> key = settings.optional(KEY_FILE).map(PageTokenCodec::readKeyFile).or(() -> settings.optional(KEY));
    if (key.isEmpty() && !devMode) {
      throw new ConfigException(KEY + " or " + KEY_FILE + " is required: a secret of at least " + MIN_KEY_BYTES
          + " bytes shared by every replica");
    }
    return new PageTokenCodec(key.orElse(DEV_ONLY_KEY).getBytes(StandardCharsets.UTF_8), clock,
        settings.duration(TTL, DEFAULT_TTL));
  }

  /** The token of the page after the one that ended with {@code lastId}, for the given filter. */
  public String encode(long lastId, String filter) {
    requireNonNull(filter, "filter");
    ByteBuffer buf = ByteBuffer.allocate(BODY_BYTES + MAC_BYTES);
    buf.put(VERSION).putLong(lastId).putLong(clock.instant().plus(ttl).getEpochSecond()).put(filterHash(filter));
    buf.put(mac(buf.array(), BODY_BYTES));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
  }

  /**
   * The last id the token stands for.
   *
   * @throws InvalidArgumentException on field {@code page_token} if the token is malformed, altered, signed with
   *     another key, expired, or belongs to another filter
   */
  public long decode(String token, String filter) {
    requireNonNull(token, "token");
    requireNonNull(filter, "filter");
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw invalid("is not a page token issued by this service; start again without page_token");
    }
    if (bytes.length != BODY_BYTES + MAC_BYTES || bytes[0] != VERSION
        || !MessageDigest.isEqual(mac(bytes, BODY_BYTES), Arrays.copyOfRange(bytes, BODY_BYTES, bytes.length))) {
      throw invalid("is not a page token issued by this service; start again without page_token");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes, 1, BODY_BYTES - 1);
    long lastId = buf.getLong();
    long expiresAt = buf.getLong();
    byte[] hash = new byte[FILTER_HASH_BYTES];
    buf.get(hash);
    if (!MessageDigest.isEqual(hash, filterHash(filter))) {
      throw invalid("belongs to a different filter; send the filter of the first page, or start again");
    }
    if (clock.instant().getEpochSecond() >= expiresAt) {
      throw invalid("has expired; start again without page_token");
    }
    return lastId;
  }

  private byte[] mac(byte[] data, int length) {
    try {
      Mac mac = (Mac) prototype.clone();
      mac.update(data, 0, length);
      return mac.doFinal();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("HmacSHA256 cannot be cloned", e);
    }
  }

  private static byte[] filterHash(String filter) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(filter.getBytes(StandardCharsets.UTF_8));
      return Arrays.copyOf(digest, FILTER_HASH_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static InvalidArgumentException invalid(String description) {
    return InvalidArgumentException.of(FIELD, description);
  }

  private static String readKeyFile(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new ConfigException(KEY_FILE + " names a file that cannot be read: " + file);
    }
  }
}
