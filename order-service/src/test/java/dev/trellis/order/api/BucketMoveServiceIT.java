package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.FieldMask;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.ListOrdersRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc.OrderServiceBlockingStub;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import dev.trellis.testing.BucketedSchema;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's data moves to another shard of each database while both services run (they poll the directory every
 * 100 ms): the user's row, its email index entry, its order with the saga and the idempotency key, and the SKU's
 * stock. Afterwards every RPC on them works as before, a replay with the same key returns the same order without
 * making another, the email stays taken, and nothing of them is left on the shards they left.
 */
class BucketMoveServiceIT {
  private static final Metadata.Key<String> REPLAYED =
      Metadata.Key.of("x-idempotent-replayed", Metadata.ASCII_STRING_MARSHALLER);
  private static final String POLL = "100ms";
  /** More than two polls: a replica on the old directory finds the source rows until it has read the new one. */
  private static final Duration GRACE = Duration.ofMillis(500);

  static final ServiceExtension users =
      OrderServiceFixture.userService().setting("TRELLIS_DIRECTORY_POLL", POLL);
  @RegisterExtension
  static final OrderServiceFixture fixture = new OrderServiceFixture(users,
      OrderServiceFixture.orderService(users, Map.of("TRELLIS_DIRECTORY_POLL", POLL)));

  @Test
  void aUserWithAnOrderASagaAndAnIdempotencyKeyMovesAndEveryRpcOnItStillWorks() {
    String email = "mover-" + UUID.randomUUID() + "@example.com";
    long userId = fixture.createUser(email);
    String sku = fixture.newSku(10, 250);
    CreateOrderRequest request = order(userId, sku).build();
    Answer first = create(request);
    assertThat(first.order().getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    int userBucket = ShardId.bucketOf(userId);
    int emailBucket = ShardRouter.bucketOfKey(email.toLowerCase(java.util.Locale.ROOT));
    int skuBucket = ShardRouter.bucketOfKey(sku);

    try (ShardedDatabase userDb = ShardedDatabase.builder(fixture.userTopology()).kind("user")
        .pool(ShardsExtension.SMALL_POOLS).build()) {
      int userFrom = userDb.router().shardOfBucket(userBucket);
      int orderFrom = fixture.orderDb().router().shardOfBucket(userBucket);
      BucketMover.Report movedUser = move(userDb, userBucket);
      if (emailBucket != userBucket) {
        move(userDb, emailBucket);
      }
      BucketMover.Report movedOrders = move(fixture.orderDb(), userBucket);
      if (skuBucket != userBucket) {
        move(fixture.orderDb(), skuBucket);
      }
      assertThat(movedUser.rowsCopied()).isPositive();
      // the order, its saga, the key: at least three rows of the user's bucket
      assertThat(movedOrders.rowsCopied()).isGreaterThanOrEqualTo(3);

      // Nothing of the user is left where it was; everything is where the directory now says.
      int userTo = movedUser.to();
      int orderTo = movedOrders.to();
      assertThat(rows(userDb.shard(userFrom), "users WHERE id = " + userId)).isZero();
      assertThat(rows(userDb.shard(userTo), "users WHERE id = " + userId)).isOne();
      Shard emailOwner = userDb.shard(userDb.router().shardOfBucket(emailBucket));
      assertThat(rows(emailOwner, "email_index WHERE user_id = " + userId)).isOne();
      for (String table : new String[] {"orders WHERE user_id = ", "order_sagas WHERE order_id IN (SELECT id FROM"
          + " orders WHERE user_id = ", "idempotency_keys WHERE user_id = "}) {
        String where = table + userId + (table.contains("IN (") ? ")" : "");
        assertThat(rows(fixture.orderDb().shard(orderFrom), where)).as("%s on the shard it left", where).isZero();
      }
      assertThat(rows(fixture.orderDb().shard(orderTo), "orders WHERE user_id = " + userId)).isOne();
      assertThat(rows(fixture.orderDb().shard(orderTo), "idempotency_keys WHERE user_id = " + userId)).isOne();
      assertThat(rows(fixture.orderDb().shard(orderTo), "order_sagas WHERE status = 'COMPLETED' AND order_id = "
          + first.order().getId())).isOne();
    }

    // user-service: reads, an update, the email still taken.
    UserServiceBlockingStub admin = userStub();
    assertThat(admin.getUser(GetUserRequest.newBuilder().setId(userId).build()).getEmail()).isEqualTo(email);
    User renamed = admin.updateUser(UpdateUserRequest.newBuilder().setId(userId)
        .setUser(User.newBuilder().setName("Moved Buyer")).setUpdateMask(FieldMask.newBuilder().addPaths("name"))
        .build());
    assertThat(renamed.getName()).isEqualTo("Moved Buyer");
    StatusRuntimeException taken = catchThrowableOfType(StatusRuntimeException.class, () -> admin.createUser(
        CreateUserRequest.newBuilder().setEmail(email.toUpperCase(java.util.Locale.ROOT)).setName("Twin").build()));
    assertThat(taken.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);

    // order-service: the order reads and lists as before; the same key replays it; a new order works.
    OrderServiceBlockingStub orders = fixture.first().orders(fixture.admin());
    assertThat(orders.getOrder(GetOrderRequest.newBuilder().setId(first.order().getId()).build()))
        .isEqualTo(first.order());
    assertThat(orders.listOrders(ListOrdersRequest.newBuilder().setUserId(userId).build()).getOrdersList())
        .containsExactly(first.order());
    Answer replay = create(request);
    assertThat(replay.order()).isEqualTo(first.order());
    assertThat(replay.replayed()).isEqualTo("true");
    Answer next = create(order(userId, sku).build());
    assertThat(next.order().getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(ShardId.bucketOf(next.order().getId())).isEqualTo(userBucket);
    assertThat(fixture.ordersOf(userId)).isEqualTo(2);
    assertThat(fixture.stock(sku).getSold()).isEqualTo(2);
    assertThat(fixture.stock(sku).getAvailable()).isEqualTo(8);
  }

  @Test
  void everyTableOfOrderServiceIsMovedWithItsBucketOrIsAnOutbox() {
    BucketedSchema schema = BucketedSchema.of(fixture.orderTopology());

    assertThat(schema.undeclared()).as("tables without a bucket fence trigger (see V3__bucket_fences.sql)")
        .isEmpty();
    assertThat(schema.scannedWhole()).as("moved tables without an index on their bucket (see V7__bucket_indexes.sql)")
        .isEmpty();
    assertThat(schema.moved()).containsExactlyInAnyOrder("orders", "order_sagas", "idempotency_keys", "inventory",
        "inventory_reservations", "sim_payments", "sim_shipments", "sim_notifications");
    assertThat(schema.outboxes()).containsExactly("order_events");
  }

  /** Moves the bucket to the next shard; the source rows are kept for the grace, then deleted. */
  private static BucketMover.Report move(ShardedDatabase db, int bucket) {
    int to = (db.router().shardOfBucket(bucket) + 1) % db.shards().size();
    return BucketMover.builder(db).deleteAfter(GRACE).build().move(bucket, to);
  }

  private static long rows(Shard shard, String tableAndCondition) {
    return shard.read(dsl -> ((Number) dsl.fetchValue("SELECT count(*) FROM " + tableAndCondition)).longValue());
  }

  private static UserServiceBlockingStub userStub() {
    return users.stub(UserServiceGrpc::newBlockingStub, fixture.admin()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static Answer create(CreateOrderRequest request) {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    Order order = fixture.first().orders(fixture.admin())
        .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()))
        .createOrder(request);
    return new Answer(order, headers.get().get(REPLAYED));
  }

  private record Answer(Order order, String replayed) {}
}
