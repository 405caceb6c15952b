package dev.trellis.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A launcher killed with SIGKILL leaves its PostgreSQL servers running, holding their data directories. The next
 * start on the same state directory must stop them and come up on the same data; while the owner lives, a second
 * start must refuse instead.
 */
class LeftoverServerIT {
  /** Run in a child JVM: starts one shard, writes a row, says "ready", and waits to be killed. */
  public static void main(String[] args) throws Exception {
    EmbeddedShards shards = EmbeddedShards.builder(Path.of(args[0])).shards(1).start();
    try (Connection c = DriverManager.getConnection(shards.topology("leftover").shards().get(0).jdbcUrl(),
        "postgres", "")) {
      c.createStatement().execute("CREATE TABLE marks (v text); INSERT INTO marks VALUES ('before the kill')");
    }
    System.out.println("ready");
    System.out.flush();
    new java.util.concurrent.CountDownLatch(1).await(); // until killed: it stands for a launcher that dies uncleanly
  }

  @Test
  void aServerLeftByAKilledProcessIsStoppedAndItsDataKept() throws Exception {
    Path state = Files.createTempDirectory("trellis-leftover-");
    Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), LeftoverServerIT.class.getName(), state.toString())
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.equals("ready"));
      assertThat(line).as("the child started its shard").isEqualTo("ready");
    }
    assertThatThrownBy(() -> EmbeddedShards.builder(state).shards(1).start())
        .as("a live owner keeps its shards").hasMessageContaining("are in use");
    assertThat(child.isAlive()).isTrue();

    child.destroyForcibly(); // SIGKILL: no shutdown hooks, the postgres server lives on
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.exists(state.resolve("shard-0/pgdata/postmaster.pid"))).as("left running").isTrue();

    try (EmbeddedShards again = EmbeddedShards.builder(state).shards(1).deleteOnClose(true).start();
        Connection c = DriverManager.getConnection(again.topology("leftover").shards().get(0).jdbcUrl(),
            "postgres", "");
        ResultSet rs = c.createStatement().executeQuery("SELECT v FROM marks")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("before the kill");
    }
  }
}
