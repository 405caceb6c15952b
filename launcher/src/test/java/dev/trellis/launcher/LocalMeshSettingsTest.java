package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.embedded.EmbeddedShards;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

/** The flags `./trellis help` and the README promise for `./trellis up`. */
class LocalMeshSettingsTest {
  @Test
  void defaults() {
    LocalMeshSettings mesh = LocalMeshSettings.fromSettings(Settings.of(Map.of()));
    assertThat(mesh.shards()).isEqualTo(4);
    assertThat(mesh.port("user-service")).isEqualTo(50051);
    assertThat(mesh.port("edge-proxy")).isEqualTo(8080);
    assertThat(mesh.state().root().getFileName()).hasToString(".trellis");
  }

  @Test
  void theDocumentedFlagsSetEverything() {
    Settings settings = Settings.of(Map.of(), "--state-dir", "/tmp/elsewhere", "--shards", "2", "--user-port=6000",
        "--edge-port", "9090");
    LocalMeshSettings mesh = LocalMeshSettings.fromSettings(settings);
    settings.rejectUnknownFlags();

    assertThat(mesh.shards()).isEqualTo(2);
    assertThat(mesh.port("user-service")).isEqualTo(6000);
    assertThat(mesh.port("edge-proxy")).isEqualTo(9090);
    assertThat(mesh.state().root()).hasToString("/tmp/elsewhere");
  }

  @Test
  void theServicesVariableForTheShardCountStillCounts() {
    assertThat(LocalMeshSettings.fromSettings(Settings.of(Map.of("TRELLIS_EMBEDDED_SHARDS", "2"))).shards())
        .isEqualTo(2);
    assertThat(LocalMeshSettings.fromSettings(Settings.of(Map.of("TRELLIS_EMBEDDED_SHARDS", "2"), "--shards", "3"))
        .shards()).isEqualTo(3);
  }

  @Test
  void aReshardedStateDirectoryStartsWithTheShardsThatServe(@TempDir Path state) {
    EmbeddedShards.recordServing(createShardsDirectory(state), 6);

    assertThat(LocalMeshSettings.fromSettings(Settings.of(Map.of(), "--state-dir", state.toString())).shards())
        .isEqualTo(6);
  }

  private static Path createShardsDirectory(Path state) {
    try {
      return java.nio.file.Files.createDirectories(state.resolve("shards"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theEdgeTakesItsOwnPortVariable() {
    assertThat(LocalMeshSettings.fromSettings(Settings.of(Map.of("TRELLIS_EDGE_PORT", "8181"))).port("edge-proxy"))
        .isEqualTo(8181);
    assertThat(LocalMeshSettings.portFlag("edge-proxy")).isEqualTo("--edge-port");
    assertThat(LocalMeshSettings.portFlag("order-service")).isEqualTo("--order-port");
  }

  @Test
  void twoPortsMayNotBeTheSame() {
    assertThatThrownBy(() -> LocalMeshSettings.fromSettings(Settings.of(Map.of(), "--edge-port", "50051")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TRELLIS_EDGE_PORT must differ from the port of user-service");
  }

  @Test
  void aWrongValueNamesItsFlag() {
    assertThatThrownBy(() -> LocalMeshSettings.fromSettings(Settings.of(Map.of(), "--shards", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TRELLIS_SHARDS");
  }
}
