package dev.trellis.platform.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RateLimitConfigTest {
  @Test
  void defaultsAreTheSeedNumbers() {
    RateLimitConfig config = RateLimitConfig.defaults();

    assertThat(config.peer()).contains(new RateLimit(1000, 2000));
    assertThat(config.roles()).containsEntry(Principal.USER, new RateLimit(100, 200))
        .containsEntry(Principal.ADMIN, new RateLimit(1000, 2000))
        .doesNotContainKey(Principal.SERVICE);
    assertThat(config.trustedProxies()).isEmpty();
  }

  @Test
  void readsEveryVariable() {
    RateLimitConfig config = RateLimitConfig.fromSettings(Settings.of(Map.of(
        "TRELLIS_RATE_LIMIT_PEER", "off",
        "TRELLIS_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.1",
        "TRELLIS_RATE_LIMIT_USER", "5/10",
        "TRELLIS_RATE_LIMIT_SERVICE", "500",
        "TRELLIS_RATE_LIMIT_METHODS", "trellis.user.v1.UserService/CreateUser=1/3,a.B/C=off")));

    assertThat(config.peer()).isEmpty();
    assertThat(config.trustedProxies()).hasSize(2);
    assertThat(config.roles()).containsEntry(Principal.USER, new RateLimit(5, 10))
        .containsEntry(Principal.SERVICE, new RateLimit(500, 500));
    assertThat(config.methods()).containsOnly(Map.entry("trellis.user.v1.UserService/CreateUser", new RateLimit(1, 3)));
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> RateLimitConfig.fromSettings(Settings.of(Map.of("TRELLIS_RATE_LIMIT_USER", "fast"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_RATE_LIMIT_USER must be '<requests per second>/<burst>'");
    assertThatThrownBy(() -> RateLimitConfig.fromSettings(Settings.of(Map.of("TRELLIS_RATE_LIMIT_PEER", "0/5"))))
        .hasMessageStartingWith("TRELLIS_RATE_LIMIT_PEER must be");
    assertThatThrownBy(() -> RateLimitConfig.fromSettings(Settings.of(Map.of("TRELLIS_TRUSTED_PROXIES", "proxy.local"))))
        .hasMessageStartingWith("TRELLIS_TRUSTED_PROXIES must list IP addresses or CIDR blocks");
    assertThatThrownBy(() -> RateLimitConfig.fromSettings(Settings.of(Map.of("TRELLIS_TRUSTED_PROXIES", "10.0.0.0/33"))))
        .hasMessage("TRELLIS_TRUSTED_PROXIES: the prefix length in '10.0.0.0/33' must be between 0 and 32");
    assertThatThrownBy(() -> RateLimitConfig.fromSettings(Settings.of(Map.of("TRELLIS_RATE_LIMIT_METHODS", "CreateUser=1"))))
        .hasMessageStartingWith("TRELLIS_RATE_LIMIT_METHODS entries look like package.Service/Method=10/20");
  }

  @Test
  void aPrincipalGetsItsMostGenerousRoleAndServicesGoFree() {
    RateLimitConfig config = RateLimitConfig.defaults();

    assertThat(config.limitFor(new Principal("1", Set.of(Principal.USER, Principal.ADMIN))))
        .contains(new RateLimit(1000, 2000));
    assertThat(config.limitFor(new Principal("svc", Set.of(Principal.SERVICE)))).isEmpty();
    assertThat(config.limitFor(new Principal("1", Set.of()))).contains(new RateLimit(100, 200));
  }

  @Test
  void cidrBlocksMatchTheirPrefixOnly() {
    CidrBlock block = CidrBlock.parse("test", "10.1.0.0/20");

    assertThat(block.contains(InetAddresses.forString("10.1.15.255"))).isTrue();
    assertThat(block.contains(InetAddresses.forString("10.1.16.0"))).isFalse();
    assertThat(block.contains(InetAddresses.forString("::ffff:10.1.0.1"))).isTrue(); // Java maps it to IPv4
    assertThat(CidrBlock.parse("test", "::1").contains(InetAddresses.forString("::1"))).isTrue();
    assertThat(CidrBlock.parse("test", "0.0.0.0/0").contains(InetAddresses.forString("8.8.8.8"))).isTrue();
  }
}
