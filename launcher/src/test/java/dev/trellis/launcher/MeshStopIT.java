package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C on {@code ./trellis up} with a shard that died under it (issue 10, item 7): a real launcher process, one
 * of its PostgreSQL servers killed with SIGKILL, then told to stop. The stop prints one line, no stack trace, and
 * exits.
 */
class MeshStopIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  /** A line of a printed stack trace: a throwable's first line, a frame, a cause. */
  private static final Pattern STACK_TRACE =
      Pattern.compile("Exception in thread .*|[\\w.$]+(Exception|Error)(: .*)?|\\s+at .*|Caused by: .*");

  @TempDir Path state;

  @Test
  void ctrlCWithAKilledShardPrintsOneLineAndExits() throws Exception {
    Process mesh = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), TrellisLauncher.class.getName(), "up",
        "--state-dir", state.toString(), "--shards", "2", "--user-port", Integer.toString(freePort())).start();
    mesh.getOutputStream().close();
    List<String> stdout = lines(mesh.getInputStream());
    List<String> stderr = lines(mesh.getErrorStream());
    try {
      await().atMost(WAIT).until(() -> stdout.stream().anyMatch(l -> l.startsWith("Ctrl-C stops everything"))
          || !mesh.isAlive());
      assertThat(mesh.isAlive()).as("the mesh started: %s %s", stdout, stderr).isTrue();
      ProcessHandle shard1 = ProcessHandle.of(Long.parseLong(Files.readAllLines(
          state.resolve("shards/shard-1/pgdata/postmaster.pid")).getFirst().strip())).orElseThrow();
      shard1.destroyForcibly();
      // The platform's check notices (one line while the mesh runs), so the stop meets a shard known to be dead.
      await().atMost(WAIT).until(() -> stderr.stream().anyMatch(l -> l.contains("shard-1 is unreachable")));
      int outBefore = stdout.size();
      int errBefore = stderr.size();

      // SIGTERM, which runs the same shutdown as Ctrl-C's SIGINT: a JVM started from a background job inherits an
      // ignored SIGINT (as this test's JVM may be), and a Java child keeps ignoring it.
      mesh.toHandle().destroy(); // not Process.destroy, which also closes the streams read here

      assertThat(mesh.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the launcher ended").isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> stdout.size() > outBefore);
      List<String> stopOutput = stdout.subList(outBefore, stdout.size()).stream().filter(l -> !l.isBlank()).toList();
      assertThat(stopOutput).containsExactly(
          "Stopping Trellis: the edge and the services drain their calls, then the shards stop... Trellis stopped."
              + " shard-1 was not running.");
      assertThat(stderr.subList(errBefore, stderr.size())).as("nothing on stderr while stopping").isEmpty();
      assertThat(Stream.concat(stdout.stream(), stderr.stream()))
          .as("no stack trace, while running or stopping").noneMatch(line -> STACK_TRACE.matcher(line).matches());
      assertThat(mesh.exitValue()).isIn(0, 130, 143); // as a JVM exits on a signal: 128 + SIGINT or SIGTERM
    } finally {
      mesh.destroyForcibly();
    }
  }

  /** The lines of {@code stream} as they come, read on a thread of their own. */
  private static List<String> lines(InputStream stream) {
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread.ofVirtual().start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("(reading failed: " + e + ")");
      }
    });
    return lines;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
