package dev.trellis.order;

import static dev.trellis.order.store.jooq.Tables.IDEMPOTENCY_KEYS;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.partner.NotifierSimulator;
import dev.trellis.order.partner.PaymentGatewaySimulator;
import dev.trellis.order.partner.ShipmentServiceSimulator;
import dev.trellis.order.store.jooq.tables.records.OrderSagasRecord;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.order.v1.Stock;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.testing.TestTokens;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.UserServiceGrpc;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.Condition;
import org.jooq.Table;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What an order IT runs on, as one extension: the real user-service and order-service started by name through the
 * test kit (over Netty, on fresh databases, order-service calling user-service over the network with the same dev
 * key), helpers to make users and SKUs, stubs, and a direct view of the orders database and the simulators' ledgers
 * to check what the service stored. Both services start before the class's {@code @BeforeAll} and stop after it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final OrderServiceFixture fixture =
 *     OrderServiceFixture.withSettings(Map.of("TRELLIS_ORDER_STEP_TIMEOUT", "1s"));
 * }</pre>
 */
public final class OrderServiceFixture implements BeforeAllCallback, AfterAllCallback {
  private static final AtomicInteger SKUS = new AtomicInteger();

  private final ServiceExtension users;
  private final ServiceExtension orders;
  private TestTokens tokens;
  private ShardedDatabase orderDb;
  private PaymentGatewaySimulator payments;
  private ShipmentServiceSimulator shipments;
  private NotifierSimulator notifier;
  private int userServicePort;
  private ServiceExtension.Replica userService;

  /**
   * A fixture over services configured further (telemetry, say): {@code users} from {@link #userService()},
   * {@code orders} from {@link #orderService}. The fixture starts and stops them; register only the fixture.
   */
  public OrderServiceFixture(ServiceExtension users, ServiceExtension orders) {
    this.users = requireNonNull(users, "users");
    this.orders = requireNonNull(orders, "orders");
  }

  /** user-service and order-service with the settings order tests share and {@code settings} for order-service. */
  public static OrderServiceFixture withSettings(Map<String, String> settings) {
    ServiceExtension users = userService();
    return new OrderServiceFixture(users, orderService(users, settings));
  }

  /** user-service and order-service with the settings order tests share. */
  public static OrderServiceFixture create() {
    return withSettings(Map.of());
  }

  /** The real user-service, found by name. */
  public static ServiceExtension userService() {
    return ServiceExtension.of("user-service");
  }

  /** The real order-service, calling {@code users}, with the settings order tests share and {@code settings}. */
  public static ServiceExtension orderService(ServiceExtension users, Map<String, String> settings) {
    ServiceExtension orders = ServiceExtension.of("order-service").calls(users)
        .setting("TRELLIS_ORDER_EVENTS_POLL_INTERVAL", "20ms")
        .setting("TRELLIS_RATE_LIMIT_USER", "100000/100000")
        .setting("TRELLIS_RATE_LIMIT_PEER", "100000/100000");
    settings.forEach(orders::setting);
    return orders;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    users.beforeAll(context);
    orders.beforeAll(context);
    tokens = orders.tokens();
    userService = users.replica();
    userServicePort = userService.port();
    orderDb = ShardedDatabase.builder(orders.topology()).kind("order").pool(ShardsExtension.SMALL_POOLS).build();
    payments = new PaymentGatewaySimulator(orderDb, Duration.ZERO);
    shipments = new ShipmentServiceSimulator(orderDb, Duration.ZERO);
    notifier = new NotifierSimulator(orderDb, Duration.ZERO);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      orders.afterAll(context);
      users.afterAll(context);
    } finally {
      orderDb.close();
    }
  }

  public TestTokens tokens() {
    return tokens;
  }

  /** The orders database, read directly to check what the service stored. */
  public ShardedDatabase orderDb() {
    return orderDb;
  }

  public ShardTopology orderTopology() {
    return orders.topology();
  }

  /** user-service's database, for a test that holds its rows or tables. */
  public ShardTopology userTopology() {
    return users.topology();
  }

  /** The payment provider's ledger (read-only use: counts and states). */
  public PaymentGatewaySimulator payments() {
    return payments;
  }

  public ShipmentServiceSimulator shipments() {
    return shipments;
  }

  public NotifierSimulator notifier() {
    return notifier;
  }

  /** order-service's extension: its channel, its settings. */
  public ServiceExtension orderService() {
    return orders;
  }

  /** The settings an order-service replica starts with, {@code extra} on top (for one in a JVM of its own). */
  public Map<String, String> orderSettings(Map<String, String> extra) {
    return orders.environment(extra);
  }

  /** Starts another order-service replica with extra settings. */
  public Instance start(Map<String, String> extra) {
    return new Instance(orders.startReplica(extra));
  }

  /** Starts another order-service replica. */
  public Instance start() {
    return start(Map.of());
  }

  /** The replica the extension started. */
  public Instance first() {
    return new Instance(orders.replica());
  }

  /** Stops user-service, as an outage does. */
  public void stopUserService() {
    userService.close();
  }

  /** Starts user-service again on its port, on the same users database. */
  public void restartUserService() {
    userService = users.startReplica(Map.of(ServerConfig.PORT, Integer.toString(userServicePort)));
  }

  public String admin() {
    return tokens.admin(1);
  }

  /** A new user in user-service; returns its id. */
  public long createUser(String email) {
    return userService.stub(UserServiceGrpc::newBlockingStub, admin())
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
    return first().inventory(admin()).getStock(GetStockRequest.newBuilder().setSku(sku).build());
  }

  /** A valid request: one line per SKU (quantity 1), tok_visa, an address in DE, a fresh key. */
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

  /** One running order-service replica and stubs on it. */
  public record Instance(ServiceExtension.Replica replica) implements AutoCloseable {
    public OrderServiceGrpc.OrderServiceBlockingStub orders(String token) {
      return replica.stub(OrderServiceGrpc::newBlockingStub, token).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public OrderServiceGrpc.OrderServiceStub ordersAsync(String token) {
      return replica.stub(OrderServiceGrpc::newStub, token);
    }

    public InventoryServiceGrpc.InventoryServiceBlockingStub inventory(String token) {
      return replica.stub(InventoryServiceGrpc::newBlockingStub, token).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Stops as SIGTERM does. */
    @Override
    public void close() {
      replica.close();
    }
  }
}
