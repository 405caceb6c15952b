package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Migrating at start, or only checking the schema when a migration job owns it. */
class ShardMigratorIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared();

  private static final String MIGRATIONS = "classpath:db/testdata";
  private static final Settings JOB_MIGRATES = Settings.of(Map.of(ShardMigrator.ON_START, "false"));

  @Test
  void aServiceThatDoesNotMigrateRefusesAnUnmigratedShardAndStartsOnceTheJobRan() {
    ShardTopology topology = shards.newDatabase("migrate_job");

    assertThatThrownBy(() -> ShardMigrator.atStart(JOB_MIGRATES, topology, MIGRATIONS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("migration(s) pending")
        .hasMessageContaining(ShardMigrator.ON_START);

    ShardMigrator.migrate(topology, MIGRATIONS); // the job
    assertThatCode(() -> ShardMigrator.atStart(JOB_MIGRATES, topology, MIGRATIONS)).doesNotThrowAnyException();
  }

  @Test
  void byDefaultAServiceMigratesAtStart() {
    ShardTopology topology = shards.newDatabase("migrate_start");

    ShardMigrator.atStart(Settings.of(Map.of()), topology, MIGRATIONS);

    assertThatCode(() -> ShardMigrator.check(topology, MIGRATIONS)).doesNotThrowAnyException();
  }
}
