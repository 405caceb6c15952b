package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.trellis.platform.ScriptedService;
import dev.trellis.testing.FirstResponse;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Server reflection over real Netty, through grpc stubs (v1 and v1alpha) and through buf curl, without a token. */
class ReflectionIT {
  private static final List<String> SERVICES = List.of(
      "grpc.testing.SimpleService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");
  /** npm ci installs buf here, at the repository root; tests run in the module directory. */
  private static final Path BUF = Path.of("..", "node_modules", ".bin", "buf");

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private TrellisServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    MutableClock clock = MutableClock.startingNow();
    server = grpc.register(TrellisServer.builder(ServerConfig.defaults().withPort(0))
        .auth(TestTokens.create(clock).authConfig())
        .clock(clock)
        .addUndeclaredService(new ScriptedService())
        .build()
        .start());
    channel = grpc.register(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build());
  }

  @Test
  void reflectionV1ListsTheServices() throws Exception {
    FirstResponse<ServerReflectionResponse> answer = new FirstResponse<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel).serverReflectionInfo(answer);
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();

    assertThat(answer.future().get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
        .extracting(ServiceResponse::getName)
        .containsExactlyInAnyOrderElementsOf(SERVICES);
  }

  @Test
  @SuppressWarnings("deprecation") // v1alpha is what older grpcurl speaks
  void reflectionV1alphaListsTheServices() throws Exception {
    FirstResponse<io.grpc.reflection.v1alpha.ServerReflectionResponse> answer = new FirstResponse<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel).serverReflectionInfo(answer);
    requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();

    assertThat(answer.future().get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
        .extracting(io.grpc.reflection.v1alpha.ServiceResponse::getName)
        .containsExactlyInAnyOrderElementsOf(SERVICES);
  }

  @Test
  void bufCurlListsTheServices() throws Exception {
    String output = buf("curl", "--list-services", "--protocol", "grpc", "--http2-prior-knowledge",
        "http://127.0.0.1:" + server.getPort());

    assertThat(output.lines().toList()).containsExactlyInAnyOrderElementsOf(SERVICES);
  }

  @Test
  void bufCurlChecksHealthWithoutAToken() throws Exception {
    String output = buf("curl", "--protocol", "grpc", "--http2-prior-knowledge",
        "http://127.0.0.1:" + server.getPort() + "/grpc.health.v1.Health/Check");

    assertThat(output).contains("\"status\": \"SERVING\"");
  }

  private static String buf(String... args) throws IOException, InterruptedException {
    if (!Files.isExecutable(BUF)) {
      fail("buf is not installed at " + BUF.toAbsolutePath().normalize()
          + ": run `npm ci` in the repository root (buf is pinned in package.json)");
    }
    List<String> command = new java.util.ArrayList<>();
    command.add(BUF.toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("buf finished").isTrue();
    assertThat(process.exitValue()).as("buf exit code; output:%n%s", output).isZero();
    return output;
  }
}
