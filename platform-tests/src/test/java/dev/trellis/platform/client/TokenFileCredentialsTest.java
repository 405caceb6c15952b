package dev.trellis.platform.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.testing.GrpcCleanup;
import io.grpc.ManagedChannel;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A service's identity from a mounted token file, over real stubs and the server's auth. */
class TokenFileCredentialsTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final PlatformFixture server = PlatformFixture.start(grpc);
  @TempDir Path dir;

  @Test
  void callsCarryTheTokenOfTheFileAndPickUpARotatedOne() throws Exception {
    Path file = Files.writeString(dir.resolve("token"), server.tokens.service("order-service") + "\n");
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stubWith(TokenFileCredentials.open(file, server.clock));
    assertThat(whoami(stub)).isEqualTo("order-service");

    Files.writeString(file, server.tokens.service("order-service-v2")); // the Secret was rotated
    server.clock.advance(Duration.ofSeconds(5));
    assertThat(whoami(stub)).as("read again only every 10 s").isEqualTo("order-service");
    server.clock.advance(Duration.ofSeconds(6));
    assertThat(whoami(stub)).isEqualTo("order-service-v2");
  }

  @Test
  void aFileThatCannotBeReadAgainKeepsTheLastToken() throws Exception {
    Path file = Files.writeString(dir.resolve("token"), server.tokens.service("order-service"));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = stubWith(TokenFileCredentials.open(file, server.clock));

    Files.delete(file);
    server.clock.advance(Duration.ofSeconds(11));
    assertThat(whoami(stub)).isEqualTo("order-service");
  }

  @Test
  void aMissingOrEmptyFileStopsTheStartNamingTheSetting() throws Exception {
    assertThatThrownBy(() -> TokenFileCredentials.open(dir.resolve("absent"), server.clock))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(TokenFileCredentials.VARIABLE);
    Path empty = Files.writeString(dir.resolve("empty"), " \n");
    assertThatThrownBy(() -> TokenFileCredentials.open(empty, server.clock))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(TokenFileCredentials.VARIABLE);
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub stubWith(TokenFileCredentials credentials) {
    ManagedChannel channel = grpc.register(
        new ServiceChannels(Telemetry.off(), Optional.of(credentials)).openInProcess(server.name));
    return SimpleServiceGrpc.newBlockingStub(channel);
  }

  private static String whoami(SimpleServiceGrpc.SimpleServiceBlockingStub stub) {
    return stub.unaryRpc(ScriptedService.request("whoami")).getResponseMessage();
  }
}
