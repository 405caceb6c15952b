package dev.trellis.order;

import static dev.trellis.order.store.jooq.Tables.IDEMPOTENCY_KEYS;
import static dev.trellis.order.store.jooq.Tables.ORDERS;
import static dev.trellis.order.store.jooq.Tables.ORDER_SAGAS;

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
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.Condition;
import org.jooq.Table;

/**
 * What the order ITs share on top of the test kit's extensions: user-service and order-service started by name
 * ({@link #userService()}, {@link #orderService}: the real services over Netty, on fresh databases, order-service
 * calling user-service over the network with the same dev key), helpers to make users and SKUs, stubs, and a direct
 * view of the orders database and the simulators' ledgers to check what the service stored.
 *
 * <pre>{@code
 * @RegisterExtension static final ServiceExtension users = OrderServiceFixture.userService();
 * @RegisterExtension static final ServiceExtension orders = OrderServiceFixture.orderService(users, Map.of());
 * }</pre>
 */
public final class OrderServiceFixture implements AutoCloseable {
  private static final AtomicInteger SKUS = new AtomicInteger();

  public final TestTokens tokens;
  /** The orders database, read directly to check what the service stored. */
  public final ShardedDatabase orderDb;
  public final ShardTopology orderTopology;
  public final PaymentGatewaySimulator payments;
  public final ShipmentServiceSimulator shipments;
  public final NotifierSimulator notifier;
  private final ServiceExtension users;
  private final ServiceExtension orders;
  private final int userServicePort;
  private ServiceExtension.Replica userService;

  /** Call from {@code @BeforeAll}: the extensions have started by then. */
  public OrderServiceFixture(ServiceExtension users, ServiceExtension orders) {
    this.users = users;
    this.orders = orders;
    this.tokens = orders.tokens();
    this.userService = users.replica();
    this.userServicePort = userService.port();
    this.orderTopology = orders.topology();
    this.orderDb = ShardedDatabase.builder(orderTopology).kind("order").pool(ShardsExtension.SMALL_POOLS).build();
    this.payments = new PaymentGatewaySimulator(orderDb, Duration.ZERO);
    this.shipments = new ShipmentServiceSimulator(orderDb, Duration.ZERO);
    this.notifier = new NotifierSimulator(orderDb, Duration.ZERO);
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

  @Override
  public void close() {
    orderDb.close();
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
