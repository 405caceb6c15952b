package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every launcher command answers --help (a real launcher process), and tokens stay within what servers accept. */
class LauncherHelpIT {
  @TempDir Path state;

  private record Run(int exit, String stdout, String stderr) {}

  private Run launcher(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), TrellisLauncher.class.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
    return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"up", "reshard", "token", "call"})
  void everyCommandAnswersHelp(String command) throws Exception {
    for (String flag : List.of("--help", "-h")) {
      Run run = launcher(command, flag);

      assertThat(run.exit()).as(command + " " + flag).isZero();
      assertThat(run.stdout()).startsWith("usage: ./trellis " + command);
      assertThat(run.stdout() + run.stderr()).doesNotContain("is required", "unknown flag", "Exception");
    }
  }

  @Test
  void aReshardNeedsItsShardCountAndARunningMesh() throws Exception {
    Run bare = launcher("reshard", "--state-dir", state.toString());
    assertThat(bare.exit()).isEqualTo(TrellisLauncher.CONFIG_ERROR);
    assertThat(bare.stderr()).isEqualTo("trellis: --shards N is required: how many shards serve after the reshard"
        + " (1 to 16); --status prints where a reshard is\n");

    Run none = launcher("reshard", "--shards", "6", "--state-dir", state.toString());
    assertThat(none.exit()).isEqualTo(TrellisLauncher.CONFIG_ERROR);
    assertThat(none.stderr()).contains("no local mesh in").contains("start ./trellis up");

    java.nio.file.Files.createDirectories(state.resolve("shards/shard-0/pgdata"));
    Run stopped = launcher("reshard", "--status", "--state-dir", state.toString());
    assertThat(stopped.exit()).isEqualTo(TrellisLauncher.CONFIG_ERROR);
    assertThat(stopped.stderr()).contains("the local mesh is not running on").doesNotContain("Exception");
  }

  @Test
  void aTokenLongerThanServersAcceptIsRefused() throws Exception {
    Run run = launcher("token", "--state-dir", state.toString(), "--sub", "1", "--role", "admin", "--ttl", "25h");

    assertThat(run.exit()).isEqualTo(TrellisLauncher.CONFIG_ERROR);
    assertThat(run.stderr().strip()).startsWith("trellis: --ttl must be more than 0 and at most "
        + "TRELLIS_JWT_MAX_TOKEN_LIFETIME (24h");
    assertThat(launcher("token", "--state-dir", state.toString(), "--sub", "1", "--role", "admin", "--ttl", "24h")
        .exit()).isZero();
  }

  @Test
  void aServiceTokenWithoutASubjectIsTheOneDeclaredServiceCallersAndAUserTokenNeedsOne() throws Exception {
    Run service = launcher("token", "--state-dir", state.toString(), "--role", "service");

    assertThat(service.exit()).as(service.stderr()).isZero();
    JWTClaimsSet claims = SignedJWT.parse(service.stdout().strip()).getJWTClaimsSet();
    assertThat(claims.getSubject()).isEqualTo("order-service");
    assertThat(claims.getStringListClaim("roles")).containsExactly("service");
    Run user = launcher("token", "--state-dir", state.toString(), "--role", "user");
    assertThat(user.exit()).isEqualTo(TrellisLauncher.CONFIG_ERROR);
    assertThat(user.stderr().strip()).isEqualTo("trellis: --sub is required: a user id, or a service name");
  }
}
