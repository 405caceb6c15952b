package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.embedded.EmbeddedShards.JoiningShard;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What `./trellis reshard` says of each shard that joins. */
class ReshardCommandTest {
  private static final Path SHARDS = Path.of("/state/shards");

  @Test
  void aJoiningShardIsSaidStartedOnlyWhenThisRunStartedIt() {
    assertThat(ReshardCommand.describe(new JoiningShard(4, 41000, true), SHARDS))
        .isEqualTo("shard-4 started on port 41000 (data under /state/shards/shard-4)");
    // A rerun after a stopped reshard finds it running: no "starting shards 4 to 4".
    assertThat(ReshardCommand.describe(new JoiningShard(4, 41000, false), SHARDS))
        .isEqualTo("shard-4 was running already on port 41000 (an earlier run of this reshard started it)");
  }
}
