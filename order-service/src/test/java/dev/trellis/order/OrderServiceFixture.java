package dev.trellis.order;

import static dev.trellis.order.store.jooq.Tables.IDEMPOTENCY_KEYS;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;

import dev.trellis.order.partner.NotifierSimulator;
import dev.trellis.order.partner.PaymentGatewaySimulator;
import dev.trellis.order.partner.ShipmentServiceSimulator;
import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.order.v1.Stock;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.TestShards;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.platform.testing.TestTokens;
import dev.trellis.user.UserServiceMain;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.Condition;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * order-service as it runs, beside the real user-service: both built by their mains from settings, serving over
 * Netty on free ports, on fresh databases on the shared embedded shards, trusting one dev key. Several order-service
 * instances may share the orders database, as replicas do. The test set-up of every order IT lives here, so moving
 * to the shared JUnit extensions later is one change.
 */
public final class OrderServiceFixture implements AutoCloseable {
  private static final AtomicInteger SKUS = new AtomicInteger();

  public final ShardTopology orderTopology;
  public final TestTokens tokens;
  /** The orders database, read directly to check what the service stored. */
  public final ShardedDatabase orderDb;
  public final PaymentGatewaySimulator payments;
  public final ShipmentServiceSimulator shipments;
  public final NotifierSimulator notifier;
  private final Path keyFile;
  private final ShardTopology userTopology;
  private final Map<String, String> defaults;
  private final Telemetry userTelemetry;
  private final Telemetry orderTelemetry;
  private final List<Instance> instances = new ArrayList<>();
  private Instance userService;
  private int userServicePort;

  /**
   * @param defaults settings every order-service instance of this fixture gets (an instance may add more)
   */
  public OrderServiceFixture(String name, Map<String, String> defaults) {
    this(name, defaults, Telemetry.off(), Telemetry.off());
  }

  /** With telemetry for each service (both services of a trace). */
  public OrderServiceFixture(String name, Map<String, String> defaults, Telemetry userTelemetry,
      Telemetry orderTelemetry) {
    this.userTelemetry = userTelemetry;
    this.orderTelemetry = orderTelemetry;
    orderTopology = TestShards.newDatabase(name);
    userTopology = TestShards.newDatabase(name + "_users");
    try {
      keyFile = Files.createTempDirectory("order-service-it").resolve("dev-jwt-key.json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    tokens = TestTokens.create(keyFile, Clock.systemUTC());
    this.defaults = Map.copyOf(defaults);
    userService = startUserService(0);
    userServicePort = userService.server.getPort();
    // The instances migrate the orders database; open the test's own view of it after the first one started.
    start();
    orderDb = ShardedDatabase.builder(orderTopology).kind("order").pool(TestShards.smallPools()).build();
    payments = new PaymentGatewaySimulator(orderDb, Duration.ZERO);
    shipments = new ShipmentServiceSimulator(orderDb, Duration.ZERO);
    notifier = new NotifierSimulator(orderDb, Duration.ZERO);
  }

  public OrderServiceFixture(String name) {
    this(name, Map.of());
  }

  /** The settings an order-service instance of this fixture runs with, {@code extra} on top. */
  public Map<String, String> orderSettings(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(orderTopology.toSettings());
    env.put("TRELLIS_DEV_MODE", "true");
    env.put("TRELLIS_DEV_KEY_FILE", keyFile.toString());
    env.put("TRELLIS_GRPC_PORT", "0");
    env.put("TRELLIS_SHARD_POOL_SIZE", "4");
    env.put("TRELLIS_SHUTDOWN_GRACE", "5s");
    env.put("TRELLIS_ORDER_USER_SERVICE", "127.0.0.1:" + userServicePort);
    env.put("TRELLIS_ORDER_EVENTS_POLL_INTERVAL", "20ms");
    env.put("TRELLIS_RATE_LIMIT_USER", "100000/100000");
    env.put("TRELLIS_RATE_LIMIT_PEER", "100000/100000");
    env.putAll(defaults);
    env.putAll(extra);
    return env;
  }

  /** Starts an order-service instance (a replica) with extra settings; the first one is {@link #first()}. */
  public Instance start(Map<String, String> extra) {
    Instance instance = startService(OrderServiceMain.NAME, orderSettings(extra), orderTelemetry,
        OrderServiceMain::create);
    instances.add(instance);
    return instance;
  }

  public Instance start() {
    return start(Map.of());
  }

  public Instance first() {
    return instances.get(0);
  }

  /** Stops user-service, as an outage does. */
  public void stopUserService() {
    userService.close();
  }

  /** Starts user-service again on its port, on the same users database. */
  public void restartUserService() {
    userService = startUserService(userServicePort);
  }

  private Instance startUserService(int port) {
    Map<String, String> env = new HashMap<>(userTopology.toSettings());
    env.put("TRELLIS_DEV_MODE", "true");
    env.put("TRELLIS_DEV_KEY_FILE", keyFile.toString());
    env.put("TRELLIS_GRPC_PORT", Integer.toString(port));
    env.put("TRELLIS_SHARD_POOL_SIZE", "4");
    env.put("TRELLIS_SHUTDOWN_GRACE", "1s");
    env.put("TRELLIS_RATE_LIMIT_SERVICE", "100000/100000");
    env.put("TRELLIS_RATE_LIMIT_PEER", "100000/100000");
    return startService(UserServiceMain.NAME, env, userTelemetry, UserServiceMain::create);
  }

  private static Instance startService(String name, Map<String, String> env, Telemetry telemetry,
      java.util.function.Function<ServiceRuntime, TrellisServer> create) {
    ServiceRuntime runtime = ServiceRuntime.create(name, Settings.of(env), telemetry, Clock.systemUTC());
    try {
      TrellisServer server = create.apply(runtime).start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      return new Instance(runtime, server, channel);
    } catch (IOException e) {
      runtime.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
  }

  public String admin() {
    return tokens.admin(1);
  }

  /** A new user in user-service; returns its id. */
  public long createUser(String email) {
    return UserServiceGrpc.newBlockingStub(userService.channel)
        .withCallCredentials(TestTokens.bearer(admin()))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .createUser(CreateUserRequest.newBuilder().setEmail(email).setName("Buyer " + email).build())
        .getId();
  }

  /** A new user with a unique email. */
  public long createUser() {
    return createUser("buyer-" + UUID.randomUUID() + "@example.com");
  }

  /** A SKU no other test uses, with this stock and price. */
  public String newSku(long available, long unitPriceCents) {
    String sku = "sku-" + SKUS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    setStock(sku, available, unitPriceCents);
    return sku;
  }

  public Stock setStock(String sku, long available, long unitPriceCents) {
    return first().inventory(admin()).setStock(SetStockRequest.newBuilder().setSku(sku).setAvailable(available)
        .setUnitPriceCents(unitPriceCents).build());
  }

  public Stock stock(String sku) {
    return first().inventory(admin()).getStock(dev.trellis.order.v1.GetStockRequest.newBuilder().setSku(sku).build());
  }

  /** A valid request: one line per SKU (quantity 1 unless given), tok_visa, an address in DE, a fresh key. */
  public static CreateOrderRequest.Builder order(long userId, String... skus) {
    CreateOrderRequest.Builder request = CreateOrderRequest.newBuilder()
        .setUserId(userId)
        .setPaymentToken("tok_visa")
        .setRequestId(UUID.randomUUID().toString())
        .setShippingAddress(ShippingAddress.newBuilder().setRecipient("Ada Lovelace").setLine1("1 Analytical Way")
            .setCity("Berlin").setPostalCode("10115").setCountryCode("DE"));
    for (String sku : skus) {
      request.addItems(LineItem.newBuilder().setSku(sku).setQuantity(1));
    }
    return request;
  }

  /** The saga row of an order, as stored. */
  public Optional<OrderSagasRecord> saga(long orderId) {
    return Optional.ofNullable(orderDb.shardOfId(orderId).read(dsl -> dsl.selectFrom(ORDER_SAGAS)
        .where(ORDER_SAGAS.ORDER_ID.eq(orderId)).fetchOne()));
  }

  /** Rows of a table that match, over all order shards. */
  public long count(Table<?> table, Condition condition) {
    long count = 0;
    for (Shard shard : orderDb.shards()) {
      count += shard.read(dsl -> dsl.fetchCount(table, condition));
    }
    return count;
  }

  /** Orders of a user, over all shards (they should all be on one). */
  public long ordersOf(long userId) {
    return count(ORDERS, ORDERS.USER_ID.eq(userId));
  }

  /** Idempotency keys of a user. */
  public long keysOf(long userId) {
    return count(IDEMPOTENCY_KEYS, IDEMPOTENCY_KEYS.USER_ID.eq(userId));
  }

  public static Condition all() {
    return DSL.noCondition();
  }

  @Override
  public void close() {
    instances.forEach(Instance::close);
    userService.close();
    orderDb.close();
  }

  /** One running service instance. */
  public static final class Instance implements AutoCloseable {
    public final ServiceRuntime runtime;
    public final TrellisServer server;
    public final ManagedChannel channel;
    private boolean closed;

    Instance(ServiceRuntime runtime, TrellisServer server, ManagedChannel channel) {
      this.runtime = runtime;
      this.server = server;
      this.channel = channel;
    }

    public OrderServiceGrpc.OrderServiceBlockingStub orders(String token) {
      return OrderServiceGrpc.newBlockingStub(channel).withCallCredentials(TestTokens.bearer(token))
          .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public OrderServiceGrpc.OrderServiceStub ordersAsync(String token) {
      return OrderServiceGrpc.newStub(channel).withCallCredentials(TestTokens.bearer(token));
    }

    public InventoryServiceGrpc.InventoryServiceBlockingStub inventory(String token) {
      return InventoryServiceGrpc.newBlockingStub(channel).withCallCredentials(TestTokens.bearer(token))
          .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Stops as SIGTERM does: gracefully, then the pools, feeds and sagas. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      server.stopGracefully();
      runtime.close();
      channel.shutdownNow();
    }
  }
}
