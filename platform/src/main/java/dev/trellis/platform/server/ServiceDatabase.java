package dev.trellis.platform.server;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.OutboxTable;
import dev.trellis.platform.telemetry.ShardPoolGauges;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's sharded database as the service runs on it, opened the same way by every service: the shards the
 * settings name, migrated or checked, a pool per shard with its gauges exported, the page-token codec, outbox feeds
 * and periodic purges. Everything it starts closes after the server stops ({@link ServiceRuntime#closeOnStop}), so
 * a service's {@link TrellisService#create} keeps only its domain.
 */
public final class ServiceDatabase {
  /** How often each purge runs; the first runs a minute after start. */
  public static final Duration PURGE_INTERVAL = Duration.ofMinutes(10);

  private static final Logger log = LoggerFactory.getLogger(ServiceDatabase.class);

  private final ServiceRuntime runtime;
  private final ShardedDatabase shards;
  private final PageTokenCodec pageTokens;
  private ScheduledExecutorService purges;

  private ServiceDatabase(ServiceRuntime runtime, ShardedDatabase shards, PageTokenCodec pageTokens) {
    this.runtime = runtime;
    this.shards = shards;
    this.pageTokens = pageTokens;
  }

  /**
   * Migrates or checks the shards of the settings' topology as {@link ShardMigrator#atStart} says, then opens a pool
   * per shard and exports the pools' gauges.
   *
   * @param kind what a shard holds, for messages ("user" makes "a user shard")
   * @param migrations the service's Flyway locations (the platform's scripts are added)
   */
  public static ServiceDatabase open(ServiceRuntime runtime, String kind, String... migrations) {
    requireNonNull(runtime, "runtime");
    requireNonNull(kind, "kind");
    requireNonNull(migrations, "migrations");
    Settings settings = runtime.settings();
    // Shards listed ahead of the reshard that registers them are opened when the directory names them.
    ShardTopology topology = ShardMigrator.joined(ShardTopology.fromSettings(settings));
    ShardPoolSettings pool = ShardPoolSettings.fromSettings(settings);
    PageTokenCodec pageTokens = PageTokenCodec.fromSettings(settings, runtime.clock(), runtime.authConfig().devMode());
    ShardMigrator.atStart(settings, topology, migrations);
    ShardedDatabase shards = runtime.closeOnStop(ShardedDatabase.builder(topology).kind(kind).pool(pool).build());
    runtime.closeOnStop(ShardPoolGauges.register(runtime.telemetry().openTelemetry(), shards));
    return new ServiceDatabase(runtime, shards, pageTokens);
  }

  public ShardedDatabase shards() {
    return shards;
  }

  /** The codec of the service's page tokens, keyed as the settings say. */
  public PageTokenCodec pageTokens() {
    return pageTokens;
  }

  /**
   * Starts feeding subscribers from {@code outbox} (see {@link OutboxFeed}).
   *
   * @param interval how often each followed shard is read
   * @param name names the poller threads
   */
  public <E> OutboxFeed<E> feed(OutboxTable<?, E> outbox, Duration interval, String name) {
    return runtime.closeOnStop(OutboxFeed.start(outbox, interval, name));
  }

  /**
   * Every {@link #PURGE_INTERVAL}, deletes the rows {@code purge} deletes that are older than {@code retention}. A
   * failure (a shard down) is logged and tried again next time.
   *
   * @param what names the rows in the log ("user events")
   */
  public synchronized void purgePeriodically(String what, Duration retention, Purge purge) {
    requireNonNull(what, "what");
    requireNonNull(retention, "retention");
    requireNonNull(purge, "purge");
    if (purges == null) {
      purges = runtime.closeOnStop(
          Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("purge-" + shards.kind()).factory()));
    }
    purges.scheduleWithFixedDelay(() -> {
      try {
        int purged = purge.purgeOlderThan(retention, runtime.clock().instant());
        if (purged > 0) {
          log.info("purged {} {} older than {}", purged, what, retention);
        }
      } catch (RuntimeException e) {
        log.warn("purging {} failed; next try in {}: {}", what, PURGE_INTERVAL, e.toString());
      }
    }, 1, PURGE_INTERVAL.toMinutes(), TimeUnit.MINUTES);
  }

  /** Deletes rows older than a retention; {@link OutboxTable#purgeOlderThan} is one. */
  @FunctionalInterface
  public interface Purge {
    /** Returns how many rows it deleted. */
    int purgeOlderThan(Duration retention, Instant now);
  }
}
