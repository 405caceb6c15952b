package dev.trellis.platform.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.testing.GrpcCleanup;
import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ServiceTokenCredentialsTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture server = PlatformFixture.start(grpc);
  private final ServiceTokenCredentials credentials = new ServiceTokenCredentials(
      DevTokens.create(server.tokens.authConfig(), server.clock), "order-service", Duration.ofMinutes(60),
      server.clock);

  @Test
  void aDevModeServerKnowsTheServiceByItsOwnToken() throws Exception {
    ManagedChannel channel = grpc.register(
        new ServiceChannels(Telemetry.off(), Optional.of(credentials)).openInProcess(server.name));

    String subject = SimpleServiceGrpc.newBlockingStub(channel)
        .unaryRpc(ScriptedService.request("whoami")).getResponseMessage();

    assertThat(subject).isEqualTo("order-service");
    assertThat(SignedJWT.parse(credentials.token()).getJWTClaimsSet().getStringListClaim("roles"))
        .containsExactly("service");
  }

  @Test
  void theTokenIsRenewedWhenThreeQuartersOfItsLifeAreOver() {
    String first = credentials.token();

    server.clock.advance(Duration.ofMinutes(44));
    assertThat(credentials.token()).isSameAs(first);

    server.clock.advance(Duration.ofMinutes(1));
    assertThat(credentials.token()).isNotEqualTo(first);
  }
}
