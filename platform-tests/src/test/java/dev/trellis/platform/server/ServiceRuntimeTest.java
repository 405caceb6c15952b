package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.trellis.platform.client.TokenFileCredentials;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a service proves who it is on outgoing calls, in each deployment mode. */
class ServiceRuntimeTest {
  @TempDir Path dir;
  private final Map<String, String> cluster = new HashMap<>();

  @BeforeEach
  void clusterAuth() throws Exception {
    Path jwks = Files.writeString(dir.resolve("jwks.json"),
        new JWKSet(new RSAKeyGenerator(2048).keyID("k1").generate().toPublicJWK()).toString());
    cluster.put("TRELLIS_JWT_JWKS_FILE", jwks.toString());
    cluster.put("TRELLIS_JWT_ISSUER", "https://login.trellis.dev");
    cluster.put("TRELLIS_JWT_AUDIENCE", "trellis-api");
  }

  @Test
  void aClusterServiceWithoutMeshOrTokenFileCannotOpenChannelsAndSaysWhatToSet() {
    try (ServiceRuntime runtime = runtime(cluster)) {
      assertThatThrownBy(runtime::channels)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(TokenFileCredentials.VARIABLE)
          .hasMessageContaining("TRELLIS_AUTH_MESH=true");
    }
  }

  @Test
  void inMeshModeOrWithATokenFileItCan() throws Exception {
    Map<String, String> mesh = new HashMap<>(cluster);
    mesh.put("TRELLIS_AUTH_MESH", "true");
    mesh.put("TRELLIS_AUTH_MESH_SERVICE_ACCOUNTS", "trellis/order-service");
    try (ServiceRuntime runtime = runtime(mesh)) {
      assertThat(runtime.channels()).isNotNull();
    }
    Map<String, String> tokenFile = new HashMap<>(cluster);
    tokenFile.put(TokenFileCredentials.VARIABLE, Files.writeString(dir.resolve("token"), "a.b.c").toString());
    try (ServiceRuntime runtime = runtime(tokenFile)) {
      assertThat(runtime.channels()).isSameAs(runtime.channels());
    }
  }

  private static ServiceRuntime runtime(Map<String, String> env) {
    return ServiceRuntime.create("order-service", Settings.of(env), Telemetry.off(), MutableClock.startingNow());
  }
}
