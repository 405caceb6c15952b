package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardTopologyTest {
  private static final String URLS = "jdbc:postgresql://pg-0:5432/users, jdbc:postgresql://pg-1:5432/users";

  @Test
  void urlsInShardOrderWithCredentialsAndConventionalNames() {
    ShardTopology t = ShardTopology.fromSettings(Settings.of(Map.of(
        "TRELLIS_SHARD_URLS", URLS, "TRELLIS_SHARD_USER", "trellis", "TRELLIS_SHARD_PASSWORD", "s3cret")));
    assertThat(t.shards()).extracting(ShardSpec::name).containsExactly("shard-0", "shard-1");
    assertThat(t.shards().get(1).jdbcUrl()).isEqualTo("jdbc:postgresql://pg-1:5432/users");
    assertThat(t.shards().getFirst().password()).isEqualTo("s3cret");
    assertThat(t.toString()).doesNotContain("s3cret");
  }

  @Test
  void passwordFileWinsOverTheVariable(@TempDir Path dir) throws Exception {
    Path secret = Files.writeString(dir.resolve("password"), "from-file\n");
    ShardTopology t = ShardTopology.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_URLS", URLS,
        "TRELLIS_SHARD_USER", "u", "TRELLIS_SHARD_PASSWORD", "from-env",
        "TRELLIS_SHARD_PASSWORD_FILE", secret.toString())));
    assertThat(t.shards()).allSatisfy(s -> assertThat(s.password()).isEqualTo("from-file"));
  }

  @Test
  void missingOrWrongSettingsNameTheVariable() {
    assertThatThrownBy(() -> ShardTopology.fromSettings(Settings.of(Map.of())))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("TRELLIS_SHARD_URLS is required");
    assertThatThrownBy(() -> ShardTopology.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_URLS",
        "jdbc:postgresql://pg-0/users, mysql://root:secret@db/users"))))
        .hasMessage("TRELLIS_SHARD_URLS must hold jdbc:postgresql:// URLs; entry 2 does not")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> ShardTopology.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_URLS", URLS))))
        .hasMessage("TRELLIS_SHARD_USER is required but not set");
  }

  @Test
  void noPasswordMeansTrustOrCertificateAuthentication() {
    ShardTopology topology = ShardTopology.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_URLS", URLS,
        "TRELLIS_SHARD_USER", "u")));
    assertThat(topology.shards()).allSatisfy(s -> assertThat(s.password()).isEmpty());
  }

  @Test
  void toSettingsReadsBackIntoTheSameTopology() {
    ShardTopology topology = ShardTopology.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_URLS", URLS,
        "TRELLIS_SHARD_USER", "u", "TRELLIS_SHARD_PASSWORD", "p")));
    assertThat(ShardTopology.fromSettings(Settings.of(topology.toSettings()))).isEqualTo(topology);
  }

  @Test
  void poolDefaultsFollowHikariGuidanceAndAreConfigurable() {
    ShardPoolSettings d = ShardPoolSettings.fromSettings(Settings.of(Map.of()));
    assertThat(d.maxSize()).isEqualTo(Runtime.getRuntime().availableProcessors() * 2 + 1);
    assertThat(d.connectionTimeout()).isEqualTo(Duration.ofSeconds(2));
    ShardPoolSettings set = ShardPoolSettings.fromSettings(Settings.of(Map.of(
        "TRELLIS_SHARD_POOL_SIZE", "8", "TRELLIS_SHARD_CONNECTION_TIMEOUT", "500ms", "TRELLIS_SHARD_FETCH_SIZE", "32")));
    assertThat(set).isEqualTo(new ShardPoolSettings(8, Duration.ofMillis(500), 32));
    assertThatThrownBy(() -> ShardPoolSettings.fromSettings(Settings.of(Map.of(
        "TRELLIS_SHARD_CONNECTION_TIMEOUT", "100ms")))).isInstanceOf(ConfigException.class);
  }

  @Test
  void pointReadsShareStatementsOnceTwoRunUnlessThePoolIsSmallerOrTheyAreSetOrOff() {
    assertThat(ShardPoolSettings.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_POOL_SIZE", "7"))).pointReads())
        .isEqualTo(2);
    assertThat(ShardPoolSettings.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_POOL_SIZE", "1"))).pointReads())
        .isEqualTo(1);
    assertThat(new ShardPoolSettings(8, Duration.ofSeconds(1), 16).pointReads()).isEqualTo(2);
    assertThat(ShardPoolSettings.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_POINT_READS", "3"))).pointReads())
        .isEqualTo(3);
    assertThat(ShardPoolSettings.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_POINT_READS", "off"))).pointReads())
        .isZero();
    for (String bad : new String[] {"-1", "many", "1001"}) {
      assertThatThrownBy(() -> ShardPoolSettings.fromSettings(Settings.of(Map.of("TRELLIS_SHARD_POINT_READS", bad))))
          .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("TRELLIS_SHARD_POINT_READS");
    }
  }
}
