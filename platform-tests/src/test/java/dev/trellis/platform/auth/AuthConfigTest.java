package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuthConfigTest {
  @Test
  void clustersNeedKeysIssuerAndAudience() {
    assertThatThrownBy(() -> AuthConfig.fromSettings(Settings.of(Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TRELLIS_JWT_JWKS_FILE or TRELLIS_JWT_JWKS_URL is required");
    assertThatThrownBy(() -> AuthConfig.fromSettings(Settings.of(Map.of("TRELLIS_JWT_JWKS_URL", "https://idp/jwks"))))
        .hasMessage("TRELLIS_JWT_ISSUER is required but not set");
  }

  @Test
  void devModeDefaultsIssuerAudienceAndKeyFile() {
    AuthConfig config = AuthConfig.fromSettings(Settings.of(Map.of("TRELLIS_DEV_MODE", "true",
        "TRELLIS_STATE_DIR", "/var/trellis")));

    assertThat(config.issuer()).isEqualTo(AuthConfig.DEV_ISSUER);
    assertThat(config.audience()).isEqualTo(AuthConfig.DEV_AUDIENCE);
    assertThat(config.devKeyFile()).isEqualTo(Path.of("/var/trellis/dev-jwt-key.json"));
  }

  @Test
  void jwksUrlMustBeHttp() {
    assertThatThrownBy(() -> AuthConfig.fromSettings(Settings.of(Map.of("TRELLIS_JWT_JWKS_URL", "file:///etc/jwks",
        "TRELLIS_JWT_ISSUER", "i", "TRELLIS_JWT_AUDIENCE", "a"))))
        .hasMessage("TRELLIS_JWT_JWKS_URL must be an http(s) URL, got 'file:///etc/jwks'");
    AuthConfig ok = AuthConfig.fromSettings(Settings.of(Map.of("TRELLIS_JWT_JWKS_URL", "https://idp.example/jwks",
        "TRELLIS_JWT_ISSUER", "i", "TRELLIS_JWT_AUDIENCE", "a")));
    assertThat(ok.jwksUrl()).contains(URI.create("https://idp.example/jwks"));
  }

  @Test
  void meshModeNeedsTrustedServiceAccounts() {
    Map<String, String> env = Map.of("TRELLIS_DEV_MODE", "true", "TRELLIS_AUTH_MESH", "true");

    assertThatThrownBy(() -> AuthConfig.fromSettings(Settings.of(env)))
        .hasMessageStartingWith("TRELLIS_AUTH_MESH_SERVICE_ACCOUNTS must name the trusted service accounts");
    AuthConfig config = AuthConfig.fromSettings(Settings.of(env, "--auth-mesh-service-accounts=order-service,ops/cron"));
    assertThat(config.meshServiceAccounts()).isEqualTo(Set.of("order-service", "ops/cron"));
  }

  @Test
  void clockSkewIsBounded() {
    assertThatThrownBy(() -> AuthConfig.fromSettings(Settings.of(Map.of("TRELLIS_DEV_MODE", "true",
        "TRELLIS_JWT_CLOCK_SKEW", "1h"))))
        .hasMessage("TRELLIS_JWT_CLOCK_SKEW must be at most 5m, got 1h");
  }
}
