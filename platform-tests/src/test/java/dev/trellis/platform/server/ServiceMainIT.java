package dev.trellis.platform.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service main run as a real JVM process: configuration errors, and SIGTERM. */
class ServiceMainIT {
  private static final Pattern SERVING = Pattern.compile("sample-service serving on port (\\d+)");

  @TempDir Path stateDir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void aWrongValueStopsTheProcessWithOneLineNamingTheVariable() throws Exception {
    Result result = run(Map.of("TRELLIS_DEV_MODE", "true"), "--grpc-port=http");

    assertThat(result.exitCode).isEqualTo(ServiceMain.CONFIG_ERROR);
    assertThat(result.stderr)
        .containsExactly("sample-service: TRELLIS_GRPC_PORT must be a whole number, got 'http'");
    assertThat(String.join("\n", result.stdout)).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void aFailureAtStartIsOneLineAndExitCodeOne() throws Exception {
    Result result = run(Map.of("TRELLIS_DEV_MODE", "true",
        "TRELLIS_SAMPLE_START_FAILURE", "migrating shard-0 failed"));

    assertThat(result.exitCode).isEqualTo(ServiceMain.START_ERROR);
    assertThat(result.stderr)
        .containsExactly("sample-service: cannot start: migrating shard-0 failed (details in the log)");
  }

  @Test
  void aMissingSettingNamesWhatToSet() throws Exception {
    Result result = run(Map.of());

    assertThat(result.exitCode).isEqualTo(ServiceMain.CONFIG_ERROR);
    assertThat(result.stderr).hasSize(1);
    assertThat(result.stderr.getFirst())
        .startsWith("sample-service: TRELLIS_JWT_JWKS_FILE or TRELLIS_JWT_JWKS_URL is required");
  }

  @Test
  void aWrongLogLevelIsAConfigError() throws Exception {
    Result result = run(Map.of("TRELLIS_DEV_MODE", "true", "TRELLIS_LOG_LEVEL", "loud"));

    assertThat(result.exitCode).isEqualTo(ServiceMain.CONFIG_ERROR);
    assertThat(result.stderr).containsExactly(
        "sample-service: TRELLIS_LOG_LEVEL must be one of trace, debug, info, warn, error, got 'loud'");
  }

  @Test
  void aMistypedFlagIsAnError() throws Exception {
    Result result = run(Map.of("TRELLIS_DEV_MODE", "true"), "--grpc-prot=1");

    assertThat(result.exitCode).isEqualTo(ServiceMain.CONFIG_ERROR);
    assertThat(result.stderr).containsExactly("sample-service: unknown flag --grpc-prot");
  }

  @Test
  void sigtermStopsTheServerGracefully() throws Exception {
    Process process = start(Map.of("TRELLIS_DEV_MODE", "true"), "--grpc-port=0");
    BufferedReader stdout =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    int port = CompletableFuture.supplyAsync(() -> awaitPort(stdout)).get(60, TimeUnit.SECONDS);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .isEqualTo(ServingStatus.SERVING);
    } finally {
      channel.shutdownNow();
    }

    process.toHandle().destroy(); // SIGTERM, leaving our end of its pipes open

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<String> rest = stdout.lines().toList();
    // The platform's logback.xml: JSON lines on stdout, the last one written before the JVM halts.
    String stopped = rest.stream().filter(line -> line.contains("sample-service stopped")).findFirst().orElseThrow();
    assertThat(new ObjectMapper().readTree(stopped).get("message").asText()).isEqualTo("sample-service stopped");
    assertThat(process.exitValue()).isEqualTo(143); // 128 + SIGTERM, after the shutdown hook ran
  }

  private static int awaitPort(BufferedReader stdout) {
    try {
      String line;
      while ((line = stdout.readLine()) != null) {
        Matcher m = SERVING.matcher(line);
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("the process ended without serving");
  }

  private Result run(Map<String, String> env, String... args) throws Exception {
    Process process = start(env, args);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList(),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
  }

  private Process start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // Netty loads its native transport; JDK 24+ warns on stderr unless native access is allowed.
        "--enable-native-access=ALL-UNNAMED",
        // The test classpath holds logback-test.xml; the child must log as a deployed service does.
        "-Dlogback.configurationFile=logback.xml",
        "-cp", System.getProperty("java.class.path"),
        SampleServiceMain.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    // Only what the test says: none of this machine's TRELLIS_ or OTEL_ settings.
    builder.environment().keySet().removeIf(k -> k.startsWith("TRELLIS_") || k.startsWith("OTEL_"));
    builder.environment().put("TRELLIS_STATE_DIR", stateDir.toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    started.add(process);
    return process;
  }

  private record Result(int exitCode, List<String> stdout, List<String> stderr) {}
}
