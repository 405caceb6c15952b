package dev.trellis.user;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.OutboxTable;
import dev.trellis.platform.ratelimit.ActionLimit;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import dev.trellis.platform.telemetry.ShardPoolGauges;
import dev.trellis.user.api.UserGrpcService;
import dev.trellis.user.store.UserEvent;
import dev.trellis.user.store.UserEventReader;
import dev.trellis.user.store.UserShards;
import dev.trellis.user.store.UserStore;
import dev.trellis.user.store.UserStoreSettings;
import dev.trellis.user.store.jooq.tables.records.UserEventsRecord;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * user-service: UserService on the sharded users database, behind the platform's server and chain. Registered as a
 * {@link TrellisService}, so the local mesh and tests start it by name.
 */
public final class UserService implements TrellisService {
  public static final String NAME = "user-service";
  public static final int DEFAULT_PORT = 50051;

  private static final Logger log = LoggerFactory.getLogger(UserService.class);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int defaultPort() {
    return DEFAULT_PORT;
  }

  @Override
  public Optional<Database> database() {
    return Optional.of(new Database(UserShards.DATABASE, List.of(UserShards.MIGRATIONS)));
  }

  /**
   * Builds the service (not yet started): migrates and opens the user shards, starts the updates feed and the outbox
   * purge, and registers them to close after the server stops.
   */
  @Override
  public TrellisServer create(ServiceRuntime runtime) {
    Settings settings = runtime.settings();
    UserServiceSettings own = UserServiceSettings.fromSettings(settings);
    ShardTopology topology = ShardTopology.fromSettings(settings);
    PageTokenCodec pageTokens = PageTokenCodec.fromSettings(settings, runtime.clock(), runtime.authConfig().devMode());
    UserStoreSettings storeSettings = UserStoreSettings.fromSettings(settings);
    ShardPoolSettings pool = ShardPoolSettings.fromSettings(settings);

    ShardedDatabase db = runtime.closeOnStop(UserShards.open(settings, topology, pool));
    runtime.closeOnStop(ShardPoolGauges.register(runtime.telemetry().openTelemetry(), db));
    UserStore store = UserStore.builder(db, pageTokens).clock(runtime.clock()).settings(storeSettings).build();
    OutboxTable<UserEventsRecord, UserEvent> events = UserEventReader.of(db);
    OutboxFeed<UserEvent> updates = runtime.closeOnStop(
        OutboxFeed.start(events, own.updatesPollInterval(), "user-updates"));
    ScheduledExecutorService purge = runtime.closeOnStop(
        Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("user-events-purge").factory()));
    purge.scheduleWithFixedDelay(() -> purgeEvents(events, own, runtime), 1, 10, TimeUnit.MINUTES);

    // Subscriptions and listings register with the server's shutdown themselves (the platform's stream senders).
    return runtime.server()
        .addService(new UserGrpcService(store, updates, own.subscriberBuffer(),
            new ActionLimit("email changes", own.emailChangeLimit(), runtime.clock())))
        .build();
  }

  private static void purgeEvents(OutboxTable<?, ?> events, UserServiceSettings own, ServiceRuntime runtime) {
    try {
      int purged = events.purgeOlderThan(own.eventRetention(), runtime.clock().instant());
      if (purged > 0) {
        log.info("purged {} user events older than {}", purged, own.eventRetention());
      }
    } catch (RuntimeException e) {
      log.warn("purging user events failed; next try in 10 minutes: {}", e.toString());
    }
  }
}
