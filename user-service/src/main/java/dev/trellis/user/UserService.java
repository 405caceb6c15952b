package dev.trellis.user;

import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.OutboxTable;
import dev.trellis.platform.ratelimit.ActionLimit;
import dev.trellis.platform.server.ServiceDatabase;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import dev.trellis.user.api.UserGrpcService;
import dev.trellis.user.store.UserEvent;
import dev.trellis.user.store.UserEventReader;
import dev.trellis.user.store.UserShards;
import dev.trellis.user.store.UserStore;
import dev.trellis.user.store.UserStoreSettings;
import dev.trellis.user.store.jooq.tables.records.UserEventsRecord;
import java.util.List;
import java.util.Optional;

/**
 * user-service: UserService on the sharded users database, behind the platform's server and chain. Registered as a
 * {@link TrellisService}, so the local mesh and tests start it by name.
 */
public final class UserService implements TrellisService {
  public static final String NAME = "user-service";
  public static final int DEFAULT_PORT = 50051;

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
    UserServiceSettings own = UserServiceSettings.fromSettings(runtime.settings());
    ServiceDatabase database = ServiceDatabase.open(runtime, UserShards.KIND, UserShards.MIGRATIONS);
    UserStore store = UserStore.builder(database.shards(), database.pageTokens()).clock(runtime.clock())
        .settings(UserStoreSettings.fromSettings(runtime.settings())).build();
    OutboxTable<UserEventsRecord, UserEvent> events = UserEventReader.of(database.shards());
    OutboxFeed<UserEvent> updates = database.feed(events, own.updatesPollInterval(), "user-updates");
    database.purgePeriodically("user events", own.eventRetention(), events::purgeOlderThan);

    // Subscriptions and listings register with the server's shutdown themselves (the platform's stream senders).
    return runtime.server()
        .addService(new UserGrpcService(store, updates, own.subscriberBuffer(),
            new ActionLimit("email changes", own.emailChangeLimit(), runtime.clock())))
        .build();
  }
}
