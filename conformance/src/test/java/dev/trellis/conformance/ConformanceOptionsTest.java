package dev.trellis.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConformanceOptionsTest {
  @TempDir Path state;

  @Test
  void aGivenTokenAndTargetsAreTakenAsGiven() {
    ConformanceOptions options = ConformanceOptions.fromSettings(Settings.of(Map.of(), "--user-target",
        "users.example:443", "--order-target", "orders.example:443", "--edge", "https://api.example/",
        "--token", "abc", "--tls"));

    assertThat(options).isEqualTo(new ConformanceOptions("users.example:443", "orders.example:443",
        Optional.of(URI.create("https://api.example")), "abc", true, Optional.empty(),
        ConformanceOptions.DEFAULT_MAX_MESSAGE_BYTES));
  }

  @Test
  void devMintsAnAdminTokenFromTheLocalMeshsKeyAndTheDefaultsAreTheLocalMesh() {
    DevTokens.create(AuthConfig.dev(new StateDirectory(state).devKeyFile()), Clock.systemUTC()); // writes the key

    ConformanceOptions options = ConformanceOptions.fromSettings(Settings.of(Map.of(), "--dev", "--state-dir",
        state.toString()));

    assertThat(options.userTarget()).isEqualTo("127.0.0.1:50051");
    assertThat(options.orderTarget()).isEqualTo("127.0.0.1:50052");
    assertThat(options.edge()).isEmpty();
    String claims = new String(Base64.getUrlDecoder().decode(options.token().split("\\.")[1]));
    assertThat(claims).contains("\"roles\":[\"admin\"]");
  }

  @Test
  void aTlsCaNeedsTlsAndPemCertificates() throws Exception {
    Path notPem = Files.writeString(state.resolve("ca.pem"), "not a certificate");
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--token", "t", "--tls-ca",
        notPem.toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("TRELLIS_TLS_CA (--tls-ca)")
        .hasMessageContaining("give --tls as well");
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--token", "t", "--tls",
        "--tls-ca", notPem.toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("must be a readable file of PEM certificates");
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--token", "t", "--tls",
        "--tls-ca", state.resolve("missing.pem").toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("must be a readable file of PEM certificates");
  }

  @Test
  void wrongFlagsStopTheRunNamingTheVariable() {
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--user-target", "nohost",
        "--token", "t")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("TRELLIS_USER_TARGET must be HOST:PORT");
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--edge", "ftp://x",
        "--token", "t")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("TRELLIS_EDGE must be an http(s) URL");
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--token", "t", "--dev")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> ConformanceOptions.fromSettings(Settings.of(Map.of(), "--state-dir",
        state.resolve("none").toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("no dev key at");
  }
}
