package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardRecord;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.output.MigrateResult;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies Flyway migrations to every shard of a topology, in parallel, and checks that each shard still has the
 * place in the topology it had when first migrated ({@link ShardClaim}). The platform's own scripts
 * ({@value #PLATFORM_LOCATION}: the id and outbox functions and the shard claim, as repeatable migrations) always
 * come along, so a service lists only its own location, and platform and service versions never collide. Flyway's
 * lock per database makes it safe for several replicas to start at once.
 *
 * <p>Services migrate at start ({@link #atStart}); clusters may instead run this class as a job, and start the
 * services with {@value #ON_START}=false so they only check the schema, reading only:
 * {@code java -cp service.jar dev.trellis.platform.data.ShardMigrator
 * --migration-locations=classpath:db/migration/users} with the {@link ShardTopology#fromSettings shard settings} in
 * the environment.
 */
public final class ShardMigrator {
  /** Where the platform's migrations live on the classpath. */
  public static final String PLATFORM_LOCATION = "classpath:db/platform";
  /** The platform's migration scripts, as classpath resources (for build-time freshness checks). */
  public static final List<String> PLATFORM_SCRIPTS =
      List.of("db/platform/R__trellis_functions.sql", "db/platform/R__trellis_shard_claim.sql",
          "db/platform/R__trellis_bucket_directory.sql", "db/platform/R__trellis_directory_shards.sql",
          "db/platform/beforeMigrate__trellis_bucket_fence.sql");
  public static final String LOCATIONS = "TRELLIS_MIGRATION_LOCATIONS";
  /** Whether a service migrates its shards at start (default) or only checks that a migration job did. */
  public static final String ON_START = "TRELLIS_MIGRATE_ON_START";

  private static final Logger log = LoggerFactory.getLogger(ShardMigrator.class);

  private ShardMigrator() {}

  /**
   * The listed shards that are in the database's shard set: all of them, unless the bucket directory on shard 0
   * records fewer shards than the list names. The rest are shards that join, listed before the reshard program
   * registered them (an operator adding a shard's URL ahead of the reshard): they are left out, with a log line
   * each, neither migrated nor claimed here (the reshard program does both), and the database opens each one when the
   * directory names it ({@link ShardedDatabase} follows the directory), without a restart. Where shard 0 holds no
   * directory with its shard set yet (never migrated), or cannot be read, the list is returned as it is, and the
   * start's own checks speak.
   */
  public static ShardTopology joined(ShardTopology topology) {
    requireNonNull(topology, "topology");
    ShardSpec first = topology.shards().get(0);
    Optional<BucketDirectory> directory;
    try (Connection connection = DriverManager.getConnection(first.jdbcUrl(), first.user(), first.password())) {
      directory = DirectoryStore.readLatest(DSL.using(connection, SQLDialect.POSTGRES));
    } catch (SQLException | DataAccessException unreadable) {
      return topology;
    }
    int recorded = directory.filter(d -> !d.shards().isEmpty()).map(BucketDirectory::shardCount)
        .orElse(topology.size());
    if (recorded >= topology.size()) {
      return topology;
    }
    for (int i = recorded; i < topology.size(); i++) {
      log.info("shard {} ({} entry {}) is not in the bucket directory yet (version {} records {} shards): not used"
          + " until the reshard program registers it; the directory then names it and it is opened without a"
          + " restart", topology.shards().get(i).name(), ShardTopology.URLS, i + 1, directory.get().version(),
          recorded);
    }
    return new ShardTopology(topology.shards().subList(0, recorded));
  }

  /**
   * Migrates every shard to the latest version, in parallel, then checks (and on first use records) each shard's
   * place in the topology; fails if any shard fails.
   */
  public static void migrate(ShardTopology topology, String... serviceLocations) {
    requireNonNull(topology, "topology");
    requireNonNull(serviceLocations, "serviceLocations");
    List<Flyway> flyways = flyways(topology, locations(serviceLocations));
    List<Future<MigrateResult>> results = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Flyway flyway : flyways) {
        results.add(executor.submit(flyway::migrate));
      }
    }
    for (int i = 0; i < results.size(); i++) {
      try {
        MigrateResult result = results.get(i).get();
        log.info("shard {} migrated: {} migrations applied, schema version {}", topology.shards().get(i).name(),
            result.migrationsExecuted, result.targetSchemaVersion);
      } catch (ExecutionException e) {
        throw new IllegalStateException("migrating " + topology.shards().get(i).name() + " failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while migrating", e);
      }
    }
    ShardClaim.checkAll(members(topology, flyways), true);
  }

  /**
   * Registers shards in the bucket directory so that they join the database's shard set, the way Citus's
   * citus_add_node does: migrates every shard of {@code topology} (the first ones of the directory, in order, then
   * the new ones), records shards {@code [0, shards)} that the directory lacks or has drained as JOINING (owning no
   * bucket yet; replicas open their pools at their next poll), then claims every listed shard's place. What the
   * reshard program does before it moves buckets.
   *
   * @param shards how many shards the database is to serve; the directory's shards beyond the list must already be
   *     recorded (their URLs come from there)
   * @return the directory now
   * @throws ConfigException when a shard to register is not in the list, or a listed shard is at another place
   */
  public static BucketDirectory join(ShardTopology topology, int shards, String... serviceLocations) {
    requireNonNull(topology, "topology");
    requireNonNull(serviceLocations, "serviceLocations");
    List<Flyway> flyways = flyways(topology, locations(serviceLocations));
    flyways.forEach(Flyway::migrate);
    List<ShardClaim.Member> members = members(topology, flyways);
    List<DSLContext> contexts = members.stream()
        .map(m -> DSL.using(m.dataSource(), SQLDialect.POSTGRES)).toList();
    BucketDirectory directory = DirectoryStore.readNewest(contexts).orElseGet(() -> {
      // Never migrated: the listed shards (or as many as asked) start as the seed.
      return ShardClaim.checkAll(members.subList(0, Math.min(shards, members.size())), true);
    });
    if (directory.shards().isEmpty()) {
      directory = ShardClaim.checkAll(members.subList(0, Math.min(directory.shardCount(), members.size())), true);
    }
    List<ShardRecord> records = new ArrayList<>(directory.shards());
    boolean changed = false;
    for (int i = 0; i < shards; i++) {
      if (i < records.size() && records.get(i).serves()) {
        continue;
      }
      if (i >= members.size()) {
        throw new ConfigException("shard " + (i + 1) + " of " + shards + " is not in the bucket directory yet, so "
            + ShardTopology.URLS + " must list it (it lists " + members.size() + ")");
      }
      ShardRecord joining = new ShardRecord(i, ShardRecord.withoutCredentials(members.get(i).jdbcUrl()),
          ShardRecord.State.JOINING);
      if (i < records.size()) {
        // A drained shard comes back. Its old handoffs go: outbox feeds read a joining shard from its first
        // handoff (OutboxFeed), and the events of its life before are older than the new ones.
        contexts.get(i).execute("DELETE FROM trellis_bucket_handoff");
        records.set(i, joining);
      } else {
        records.add(joining);
      }
      changed = true;
    }
    if (changed) {
      directory = directory.withShards(records);
      DirectoryStore.publish(contexts.subList(0, Math.min(contexts.size(), records.size())), directory);
      log.info("directory version {} registers {} shards", directory.version(), shards);
    }
    ShardClaim.checkAll(members, true);
    return directory;
  }

  /**
   * What a service does with its shards at start, as {@value #ON_START} says: migrate them (the default, and what
   * the local mesh does), or, when a migration job owns the schema, only check that every shard is migrated and
   * still at its place, so that a service never runs against an old schema.
   */
  public static void atStart(Settings settings, ShardTopology topology, String... serviceLocations) {
    if (settings.bool(ON_START, true)) {
      migrate(topology, serviceLocations);
    } else {
      check(topology, serviceLocations);
    }
  }

  /**
   * Checks that every shard has all migrations applied and is at its recorded place in the topology; reads only.
   *
   * @throws ConfigException when a shard has migrations pending or no recorded place (run the migration job
   *     first), or was first used at another place
   */
  public static void check(ShardTopology topology, String... serviceLocations) {
    requireNonNull(topology, "topology");
    List<Flyway> flyways = flyways(topology, locations(serviceLocations));
    for (int i = 0; i < flyways.size(); i++) {
      // PENDING: never applied, versioned or repeatable. A repeatable changed since it ran is OUTDATED instead:
      // the job re-runs it, and the old one still serves meanwhile.
      long pending = Arrays.stream(flyways.get(i).info().all())
          .filter(migration -> migration.getState() == MigrationState.PENDING)
          .count();
      if (pending > 0) {
        throw new ConfigException("shard " + topology.shards().get(i).name() + " has " + pending
            + " migration(s) pending and " + ON_START + " is false: run the migration job first");
      }
    }
    ShardClaim.checkAll(members(topology, flyways), false);
  }

  /** The locations Flyway reads: the platform's, then the service's. */
  public static List<String> locations(String... serviceLocations) {
    List<String> all = new ArrayList<>();
    all.add(PLATFORM_LOCATION);
    all.addAll(List.of(serviceLocations));
    return all;
  }

  /** The cluster migration job: {@code --migration-locations=...} plus the shard settings. */
  public static void main(String[] args) {
    try {
      Settings settings = Settings.fromProcess(args);
      ShardTopology topology = ShardTopology.fromSettings(settings);
      List<String> locations = settings.list(LOCATIONS);
      if (locations.isEmpty()) {
        throw new ConfigException(LOCATIONS + " is required, for example classpath:db/migration/users");
      }
      settings.rejectUnknownFlags();
      migrate(joined(topology), locations.toArray(String[]::new));
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  private static List<Flyway> flyways(ShardTopology topology, List<String> locations) {
    return topology.shards().stream().map(shard -> flyway(shard, locations)).toList();
  }

  private static List<ShardClaim.Member> members(ShardTopology topology, List<Flyway> flyways) {
    List<ShardClaim.Member> members = new ArrayList<>();
    for (int i = 0; i < flyways.size(); i++) {
      members.add(new ShardClaim.Member(topology.shards().get(i).name(), topology.shards().get(i).jdbcUrl(),
          flyways.get(i).getConfiguration().getDataSource(), new ShardClaim.Place(i, flyways.size())));
    }
    return members;
  }

  private static Flyway flyway(ShardSpec shard, List<String> locations) {
    return Flyway.configure()
        .dataSource(shard.jdbcUrl(), shard.user(), shard.password())
        .locations(locations.toArray(String[]::new))
        .connectRetries(0)
        // A repeatable script that was renamed or dropped leaves its old history row behind; that is harmless
        // (its replacement runs anyway), so it must not stop a service from starting.
        .ignoreMigrationPatterns("repeatable:missing")
        .load();
  }
}
