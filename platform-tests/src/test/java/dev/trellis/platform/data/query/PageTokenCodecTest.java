package dev.trellis.platform.data.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class PageTokenCodecTest {
  private static final byte[] KEY = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.UTF_8);
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final PageTokenCodec codec = new PageTokenCodec(KEY, clock, Duration.ofMinutes(10));

  @Test
  void tokenCarriesTheLastIdBackForTheSameFilter() {
    String token = codec.encode(123456789L, "name : \"ann\"");
    assertThat(codec.decode(token, "name : \"ann\"")).isEqualTo(123456789L);
    assertThat(token).matches("[A-Za-z0-9_-]+");
  }

  @Test
  void anyReplicaWithTheSameKeyAcceptsTheToken() {
    String token = codec.encode(7, "");
    PageTokenCodec otherReplica = new PageTokenCodec(KEY.clone(), clock, Duration.ofMinutes(10));
    assertThat(otherReplica.decode(token, "")).isEqualTo(7);
  }

  @Test
  void tamperedTokenIsInvalidArgumentOnPageToken() {
    byte[] raw = Base64.getUrlDecoder().decode(codec.encode(7, ""));
    raw[8] ^= 0x01; // flip a bit of the last id
    String tampered = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    assertInvalid(() -> codec.decode(tampered, "")).hasMessageContaining("not a page token issued by this service");
  }

  @Test
  void tokenSignedWithAnotherKeyIsInvalidArgument() {
    PageTokenCodec foreign = new PageTokenCodec(
        "another-key-another-key-another-key!".getBytes(StandardCharsets.UTF_8), clock, Duration.ofMinutes(10));
    String token = foreign.encode(7, "");
    assertInvalid(() -> codec.decode(token, "")).hasMessageContaining("not a page token issued by this service");
  }

  @Test
  void expiredTokenIsInvalidArgument() {
    String token = codec.encode(7, "");
    clock.advance(Duration.ofMinutes(9));
    assertThat(codec.decode(token, "")).isEqualTo(7);
    clock.advance(Duration.ofMinutes(1));
    assertInvalid(() -> codec.decode(token, "")).hasMessageContaining("expired");
  }

  @Test
  void tokenOfAnotherFilterIsInvalidArgument() {
    String token = codec.encode(7, "role = \"admin\"");
    assertInvalid(() -> codec.decode(token, "role = \"user\"")).hasMessageContaining("different filter");
  }

  @Test
  void garbageIsInvalidArgumentNotACrash() {
    for (String garbage : new String[] {"x", "!!!", "AAAA", "a".repeat(500), "%00"}) {
      assertInvalid(() -> codec.decode(garbage, "")).hasMessageContaining("page_token");
    }
  }

  @Test
  void clustersMustConfigureAKeyAndDevModeSaysSo() {
    assertThatThrownBy(() -> PageTokenCodec.fromSettings(Settings.of(Map.of()), clock, false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("TRELLIS_PAGE_TOKEN_KEY");
    assertThatThrownBy(() -> PageTokenCodec.fromSettings(
        Settings.of(Map.of("TRELLIS_PAGE_TOKEN_KEY", "short")), clock, false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("at least 32 bytes");
    PageTokenCodec dev = PageTokenCodec.fromSettings(Settings.of(Map.of()), clock, true);
    PageTokenCodec devAgain = new PageTokenCodec(
        PageTokenCodec.DEV_ONLY_KEY.getBytes(StandardCharsets.UTF_8), clock, PageTokenCodec.DEFAULT_TTL);
    assertThat(devAgain.decode(dev.encode(9, ""), "")).isEqualTo(9);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    return assertThatThrownBy(call).isInstanceOfSatisfying(InvalidArgumentException.class,
        e -> assertThat(e.violations()).singleElement().satisfies(v -> assertThat(v.field()).isEqualTo("page_token")));
  }
}
