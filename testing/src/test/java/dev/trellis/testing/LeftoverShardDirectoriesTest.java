package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which shard directories a test JVM deletes at its start: the kit's, older than a minute, that no live process
 * holds (the lock a running EmbeddedShards keeps, which the OS drops when its process dies, even by kill -9).
 */
class LeftoverShardDirectoriesTest {
  @TempDir Path tmp;

  /** Run in a child JVM: holds the lock of the directory named by args[0] until killed. */
  public static void main(String[] args) throws Exception {
    FileChannel channel = FileChannel.open(Path.of(args[0], ".lock"), StandardOpenOption.WRITE);
    channel.lock();
    System.out.println("locked");
    System.out.flush();
    new java.util.concurrent.CountDownLatch(1).await(); // stands for a test JVM that still runs its shards
  }

  @Test
  void abandonedShardDirectoriesGoAndThoseInUseOrNotTheKitsStay() throws Exception {
    Path killed = shardDirectory("trellis-test-shards-killed", true);
    // Its postmaster.pid names a live process that is not a PostgreSQL server of this directory (this JVM, as a
    // reused pid would): nothing is stopped, the files go.
    Files.writeString(killed.resolve("shard-0/pgdata/postmaster.pid"), ProcessHandle.current().pid() + "\n");
    Path unlocked = shardDirectory("trellis-own-shards-unlocked", false);
    Path held = shardDirectory("trellis-test-shards-held", true);
    Path young = shardDirectory("trellis-test-shards-young", true);
    Path other = shardDirectory("trellis-other-", true);
    for (Path old : new Path[] {killed, unlocked, held, other}) {
      Files.setLastModifiedTime(old, FileTime.from(Instant.now().minusSeconds(300)));
    }

    Process owner = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), LeftoverShardDirectoriesTest.class.getName(), held.toString())
        .redirectErrorStream(true).start();
    try {
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8))) {
        assertThat(out.readLine()).as("the owner holds its directory").isEqualTo("locked");
        assertThat(LeftoverShardDirectories.deleteAbandoned(tmp)).isEqualTo(2);
      }
      assertThat(killed).as("its owner was killed").doesNotExist();
      assertThat(unlocked).as("its owner died before it locked it").doesNotExist();
      assertThat(held.resolve("shard-0/pgdata/PG_VERSION")).as("a live owner holds it").exists();
      assertThat(young.resolve("shard-0/pgdata/PG_VERSION")).as("made a moment ago").exists();
      assertThat(other.resolve("shard-0/pgdata/PG_VERSION")).as("not the kit's").exists();
      assertThat(ProcessHandle.current().isAlive()).isTrue();
    } finally {
      owner.destroyForcibly(); // SIGKILL: the OS drops its lock
      assertThat(owner.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    Files.setLastModifiedTime(held, FileTime.from(Instant.now().minusSeconds(300)));
    assertThat(LeftoverShardDirectories.deleteAbandoned(tmp)).isEqualTo(1);
    assertThat(held).as("its owner was killed").doesNotExist();
    assertThat(young).exists();
    assertThat(other).exists();
  }

  /** A state directory as EmbeddedShards leaves it: shard-0/pgdata, with its lock file or without. */
  private Path shardDirectory(String name, boolean lockFile) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve(name));
    Files.createDirectories(dir.resolve("shard-0/pgdata"));
    Files.writeString(dir.resolve("shard-0/pgdata/PG_VERSION"), "18\n");
    if (lockFile) {
      Files.createFile(dir.resolve(".lock"));
    }
    return dir;
  }
}
