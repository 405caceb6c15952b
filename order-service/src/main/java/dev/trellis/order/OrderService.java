package dev.trellis.order;

import dev.trellis.order.api.InventoryGrpcService;
import dev.trellis.order.api.OrderGrpcService;
import dev.trellis.order.partner.NotifierSimulator;
import dev.trellis.order.partner.PaymentGatewaySimulator;
import dev.trellis.order.partner.ShipmentServiceSimulator;
import dev.trellis.order.partner.SimulatorSettings;
import dev.trellis.order.saga.OrderSagas;
import dev.trellis.order.saga.SagaSettings;
import dev.trellis.order.saga.UserVerifier;
import dev.trellis.order.store.IdempotencyKeys;
import dev.trellis.order.store.InventoryStore;
import dev.trellis.order.store.OrderEvent;
import dev.trellis.order.store.OrderEventReader;
import dev.trellis.order.store.OrderShards;
import dev.trellis.order.store.OrderStore;
import dev.trellis.order.store.SagaJournal;
import dev.trellis.order.store.jooq.tables.records.OrderEventsRecord;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.OutboxTable;
import dev.trellis.platform.server.ServiceDatabase;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import io.grpc.ManagedChannel;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * order-service: OrderService and InventoryService on the sharded orders database, behind the platform's server
 * and chain; it calls user-service through the platform's resilient client, and the partners (payment, carrier,
 * mail) through their simulators. Registered as a {@link TrellisService}, so the local mesh and tests start it by
 * name.
 */
public final class OrderService implements TrellisService {
  public static final String NAME = "order-service";
  public static final int DEFAULT_PORT = 50052;

  private static final Logger log = LoggerFactory.getLogger(OrderService.class);

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
    return Optional.of(new Database(OrderShards.DATABASE, List.of(OrderShards.MIGRATIONS)));
  }

  /**
   * Builds the service on a runtime (not yet started): migrates and opens the order shards, opens the channel to
   * user-service, starts the order-events feed, the saga runner and its recovery worker (which takes over the
   * sagas a dead replica left at once), and the purges; all close after the server stops.
   */
  @Override
  public TrellisServer create(ServiceRuntime runtime) {
    Settings settings = runtime.settings();
    Clock clock = runtime.clock();
    OrderServiceSettings own = OrderServiceSettings.fromSettings(settings);
    SagaSettings sagaSettings = SagaSettings.fromSettings(settings);
    SimulatorSettings simulators = SimulatorSettings.fromSettings(settings);

    ServiceDatabase database = ServiceDatabase.open(runtime, OrderShards.KIND, OrderShards.MIGRATIONS);
    ShardedDatabase db = database.shards();
    OrderStore orders = new OrderStore(db, database.pageTokens());
    IdempotencyKeys keys = new IdempotencyKeys(db, clock);
    InventoryStore inventory = new InventoryStore(db, clock);
    if (own.demoData()) {
      log.info("demo catalog: {} SKUs created", DemoCatalog.seed(inventory));
    }
    SagaJournal journal = new SagaJournal(db, clock, replicaName(), sagaSettings.lease());
    OutboxTable<OrderEventsRecord, OrderEvent> eventTable = OrderEventReader.of(db);
    OutboxFeed<OrderEvent> events = database.feed(eventTable, own.eventsPollInterval(), "order-events");
    ManagedChannel userService = runtime.channels().open(own.userServiceTarget());
    runtime.closeOnStop(userService::shutdownNow);

    OrderSagas sagas = runtime.closeOnStop(OrderSagas.builder()
        .store(journal, orders, keys, inventory)
        .events(events)
        .users(new UserVerifier(userService, runtime.resilientCalls(UserVerifier.DEPENDENCY)))
        .partners(new PaymentGatewaySimulator(db, simulators.paymentLatency()),
            new ShipmentServiceSimulator(db, simulators.shipmentLatency()),
            new NotifierSimulator(db, simulators.notifierLatency()))
        .tracer(runtime.telemetry().openTelemetry().getTracer("dev.trellis.order"))
        .settings(sagaSettings)
        .start());
    database.purgePeriodically("order events", own.eventRetention(), eventTable::purgeOlderThan);
    database.purgePeriodically("idempotency keys", own.idempotencyRetention(), keys::purgeOlderThan);

    TrellisServer server = runtime.server()
        .addService(new OrderGrpcService(orders, sagas.placement(), sagas.cancellation(), events,
            own.watcherBuffer()).withIdempotencyHeaders())
        .addService(new InventoryGrpcService(inventory))
        .build();
    // Watch streams never end by themselves while orders live: end them (UNAVAILABLE) as soon as shutdown begins.
    server.onShutdown(events::close);
    return server;
  }

  /** This process's name in saga leases: host (the pod name in clusters), process id, and a random part. */
  private static String replicaName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
