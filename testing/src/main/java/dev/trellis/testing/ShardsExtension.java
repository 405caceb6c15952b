package dev.trellis.testing;

import static java.util.Objects.requireNonNull;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real PostgreSQL shards for a test class, in the manner of Armeria's ServerExtension: declare it in a field, and
 * the class gets a fresh database on every shard, migrated if asked, with pools that close after the class.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ShardsExtension shards = ShardsExtension.shared().migrate("classpath:db/migration/users");
 *
 * @Test void reads() { shards.database().shard(0).read(dsl -> ...); }
 * }</pre>
 *
 * {@link #shared()} takes the database from the JVM's shared shards (nobody may stop those); {@link #own(int)}
 * starts shards of the class's own, which fault tests stop and start ({@link #servers()}), and deletes them after.
 */
public final class ShardsExtension implements BeforeAllCallback, AfterAllCallback {
  /** Pools small enough that many test databases fit the servers' connection limit: 4 connections, 64-row batches. */
  public static final ShardPoolSettings SMALL_POOLS = new ShardPoolSettings(4, Duration.ofSeconds(2), 64);

  private final int ownShards;
  private String[] migrations;
  private ShardPoolSettings pool = SMALL_POOLS;
  private String kind = "test";
  private String prefix = "test";
  private Path ownDirectory;
  private EmbeddedShards servers;
  private ShardTopology topology;
  private ShardedDatabase database;
  private final List<ShardedDatabase> opened = new ArrayList<>();

  private ShardsExtension(int ownShards) {
    this.ownShards = ownShards;
  }

  /** A fresh database per class on the JVM's shared shards. */
  public static ShardsExtension shared() {
    return new ShardsExtension(0);
  }

  /** {@code shards} shards of the class's own (fault tests may stop them), deleted after the class. */
  public static ShardsExtension own(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("at least one shard");
    }
    return new ShardsExtension(shards);
  }

  /**
   * Migrates the class's database before its tests: the platform's scripts and {@code serviceLocations} (none: the
   * platform's alone).
   */
  public ShardsExtension migrate(String... serviceLocations) {
    this.migrations = requireNonNull(serviceLocations, "serviceLocations").clone();
    return this;
  }

  /**
   * The pools of {@link #database()}: what the shards hold, as UNAVAILABLE messages name it ("a user shard is
   * unavailable"), and their sizes. Default: "test", {@link #SMALL_POOLS}.
   */
  public ShardsExtension pools(String kind, ShardPoolSettings pool) {
    this.kind = requireNonNull(kind, "kind");
    this.pool = requireNonNull(pool, "pool");
    return this;
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    prefix = context.getRequiredTestClass().getSimpleName();
    if (ownShards > 0) {
      LeftoverShardDirectories.deleteOnce();
      try {
        ownDirectory = Files.createTempDirectory("trellis-own-shards-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      startServers();
    } else {
      servers = SharedShards.get();
    }
    if (migrations != null) {
      ShardMigrator.migrate(topology(), migrations);
    }
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    closePools();
    if (ownShards > 0 && servers != null) {
      servers.delete();
    }
  }

  /** The class's database on every shard, created on first use. */
  public synchronized ShardTopology topology() {
    if (topology == null) {
      topology = SharedShards.newDatabase(servers(), prefix);
    }
    return topology;
  }

  /** Pools on the class's database, opened on first use and closed after the class. */
  public synchronized ShardedDatabase database() {
    if (database == null) {
      database = open(pool);
    }
    return database;
  }

  /** More pools on the class's database ({@code pool} as a test needs them), closed after the class. */
  public synchronized ShardedDatabase open(ShardPoolSettings pool) {
    ShardedDatabase db = ShardedDatabase.builder(topology()).kind(kind).pool(requireNonNull(pool, "pool")).build();
    opened.add(db);
    return db;
  }

  /**
   * Another fresh database on the same shards, migrated as the class's, with pools like {@link #database()}'s that
   * close after the class: for a test that needs a database of its own (one that counts every row, say).
   */
  public synchronized ShardedDatabase freshDatabase(String name) {
    ShardTopology fresh = newDatabase(name);
    if (migrations != null) {
      ShardMigrator.migrate(fresh, migrations);
    }
    ShardedDatabase db = ShardedDatabase.builder(fresh).kind(kind).pool(pool).build();
    opened.add(db);
    return db;
  }

  /** Another new, empty database on the same shards, for a test that needs several. */
  public ShardTopology newDatabase(String name) {
    return SharedShards.newDatabase(servers(), requireNonNull(name, "name"));
  }

  /** The shards themselves: a fault test on {@link #own own} shards stops and starts them. */
  public synchronized EmbeddedShards servers() {
    if (servers == null) {
      throw new IllegalStateException("the shards start before the class: register this with @RegisterExtension");
    }
    return servers;
  }

  /** A plain jOOQ context on one shard's database, outside any pool: for a test that looks at the rows. */
  public static DSLContext dsl(ShardSpec spec) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(requireNonNull(spec, "spec").jdbcUrl());
    ds.setUser(spec.user());
    ds.setPassword(spec.password());
    return DSL.using(ds, SQLDialect.POSTGRES);
  }

  /** Where own shards keep their files. */
  public synchronized Path stateDirectory() {
    requireOwn();
    return ownDirectory;
  }

  /**
   * Stops every own shard and closes the pools, keeping the files (a restart test); {@link #startServers()} starts
   * them again on the same data and ports.
   */
  public synchronized void stopServers() {
    requireOwn();
    closePools();
    servers.close();
  }

  /** Starts the own shards (again) on their state directory; {@link #database()} then opens new pools. */
  public synchronized void startServers() {
    requireOwn();
    servers = EmbeddedShards.builder(ownDirectory).shards(ownShards).durable(false).start();
  }

  private void requireOwn() {
    if (ownShards == 0) {
      throw new IllegalStateException("the shared shards never stop: use ShardsExtension.own(n)");
    }
  }

  private void closePools() {
    opened.forEach(ShardedDatabase::close);
    opened.clear();
    database = null;
  }
}
