package dev.trellis.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The edge-proxy process refusing a wrong setting as the services do: one line on stderr naming the variable, exit
 * code 2, nothing started.
 */
class EdgeMainIT {
  private record Run(int exit, List<String> stderr) {}

  private static Run edgeMain(Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), EdgeMain.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(name -> name.startsWith("TRELLIS_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    process.getOutputStream().close();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("edge-proxy ended").isTrue();
    List<String> stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines()
        .filter(line -> !line.isBlank()).toList();
    return new Run(process.exitValue(), stderr);
  }

  @Test
  void aWrongLogLevelIsOneLineNamingIt() throws Exception {
    Run run = edgeMain(Map.of("TRELLIS_LOG_LEVEL", "loud",
        EdgeSettings.UPSTREAMS, "trellis.user.v1.UserService=127.0.0.1:1", EdgeSettings.PORT, "0"));

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.stderr()).containsExactly(
        "edge-proxy: TRELLIS_LOG_LEVEL must be one of trace, debug, info, warn, error, got 'loud'");
  }

  @Test
  void noUpstreamsIsOneLineNamingTheVariable() throws Exception {
    Run run = edgeMain(Map.of(EdgeSettings.PORT, "0"));

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.stderr()).hasSize(1);
    assertThat(run.stderr().getFirst()).startsWith("edge-proxy: TRELLIS_EDGE_UPSTREAMS is required");
  }
}
