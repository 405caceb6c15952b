package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./trellis up} refusing to start, as a user meets it: a real launcher process. Each refusal is one line on
 * stderr naming what to do, a non-zero exit, no stack trace; the details are in the log file.
 */
class RefusedStartIT {
  @TempDir Path state;

  /** What a launcher process printed and returned. */
  private record Run(int exit, String stdout, List<String> stderr) {}

  private Run up(String... flags) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), TrellisLauncher.class.getName(), "up",
        "--state-dir", state.toString(), "--user-port", Integer.toString(freePort()),
        "--edge-port", Integer.toString(freePort())));
    command.addAll(List.of(flags));
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
    String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    List<String> stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines()
        .filter(line -> !line.isBlank()).toList();
    return new Run(process.exitValue(), stdout, stderr);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void assertOneClearLine(Run run, String expected) {
    assertThat(run.exit()).isNotZero();
    assertThat(run.stderr()).as("stderr").hasSize(1);
    assertThat(run.stderr().getFirst()).startsWith("trellis: ").contains(expected);
    assertThat(run.stdout() + run.stderr()).doesNotContain("Exception", "\tat ");
  }

  @Test
  void aStateDirectoryInUseIsRefused() throws Exception {
    Path shards = Files.createDirectories(state.resolve("shards"));
    try (FileChannel lockFile = FileChannel.open(shards.resolve(".lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
        FileLock held = lockFile.lock()) {
      Run run = up();

      assertOneClearLine(run, "are in use (is ./trellis up already running on this state directory?)");
      assertThat(held.isValid()).isTrue();
    }
    assertThat(Files.readString(state.resolve("logs").resolve(TrellisLauncher.LOG_FILE)))
        .contains("the local mesh failed to start").contains("stack_trace");
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({"--user-port, user-service", "--edge-port, edge-proxy"})
  void aTakenPortIsRefusedBeforeAnyShardStarts(String flag, String name) throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      Run run = up(flag, Integer.toString(taken.getLocalPort()));

      assertOneClearLine(run, "port " + taken.getLocalPort() + " of " + name + " is taken: stop what listens there,"
          + " or choose another with " + flag);
    }
    assertThat(state.resolve("shards")).doesNotExist();
  }

  @Test
  void anotherShardCountThanTheStateHoldsIsRefused() throws Exception {
    for (int i = 0; i < 2; i++) {
      Files.createDirectories(state.resolve("shards").resolve("shard-" + i).resolve("pgdata"));
    }

    Run run = up("--shards", "4");

    assertOneClearLine(run, "holds 2 shards, not 4: ids route by the shard count, so only ./trellis reshard changes it");
    assertThat(run.exit()).isEqualTo(TrellisLauncher.CONFIG_ERROR);
  }
}
