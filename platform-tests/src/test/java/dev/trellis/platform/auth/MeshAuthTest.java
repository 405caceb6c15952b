package dev.trellis.platform.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.CallKind;
import dev.trellis.platform.PlatformFixture;
import dev.trellis.platform.ScriptedService;
import dev.trellis.testing.GrpcCleanup;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Service identity from the sidecar's client certificate header: honoured in mesh mode only. */
class MeshAuthTest {
  private static final String ORDER_SERVICE = "By=spiffe://cluster.local/ns/trellis/sa/user-service;"
      + "URI=spiffe://cluster.local/ns/trellis/sa/order-service";

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void meshModeTakesTheServiceFromTheClientCertificate() {
    PlatformFixture mesh = PlatformFixture.start(grpc, server -> server.auth(meshConfig()));

    String subject = mesh.blocking().withInterceptors(xfcc(ORDER_SERVICE))
        .unaryRpc(ScriptedService.request("whoami")).getResponseMessage();

    assertThat(subject).isEqualTo("order-service");
  }

  @Test
  void meshModeStillNeedsATrustedAccount() {
    PlatformFixture mesh = PlatformFixture.start(grpc, server -> server.auth(meshConfig()));

    var e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> mesh.blocking().withInterceptors(xfcc("URI=spiffe://cluster.local/ns/trellis/sa/intruder"))
            .unaryRpc(ScriptedService.request("whoami")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void withoutMeshModeTheHeaderIsIgnored() {
    PlatformFixture platform = PlatformFixture.start(grpc);

    CallKind.Outcome outcome = CallKind.UNARY.call(
        io.grpc.ClientInterceptors.intercept(platform.channel, xfcc(ORDER_SERVICE)), null, "whoami");

    assertThat(outcome.status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  private AuthConfig meshConfig() {
    AuthConfig dev = AuthConfig.dev(dir.resolve("dev-jwt-key.json"));
    return new AuthConfig(dev.issuer(), dev.audience(), dev.clockSkew(), dev.jwksFile(), dev.jwksUrl(), true,
        dev.devKeyFile(), true, "cluster.local", Set.of("order-service"));
  }

  private static io.grpc.ClientInterceptor xfcc(String value) {
    Metadata headers = new Metadata();
    headers.put(MeshIdentity.CLIENT_CERT_HEADER, value);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
