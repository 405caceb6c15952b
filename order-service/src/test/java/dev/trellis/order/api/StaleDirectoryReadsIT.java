package dev.trellis.order.api;

import static dev.trellis.testing.ErrorDetails.retryDelay;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.ListOrdersRequest;
import dev.trellis.platform.data.DirectoryStore;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.data.route.ShardRouter;
import dev.trellis.testing.ShardsExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica whose directory lags a bucket move by more than the source grace (here: it polls every minute) routes a
 * read to the shard the bucket left, where the rows are gone. Finding nothing there is UNAVAILABLE with RetryInfo,
 * never a false NOT_FOUND; the refusal makes the replica read the directory again, and the retry reaches the owner.
 */
class StaleDirectoryReadsIT {
  @RegisterExtension
  static final OrderServiceFixture fixture =
      OrderServiceFixture.withSettings(Map.of("TRELLIS_DIRECTORY_POLL", "1m"));

  @Test
  void readsThatFindNothingOnAShardTheBucketLeftAreRetryableNotNotFound() {
    long user = fixture.createUser(); // no orders
    // An order id (of the user's bucket, never issued: its time is long before this run) and a SKU that exist
    // nowhere: NOT_FOUND on their owners, but never on a shard their bucket left.
    long missingOrder = ShardId.of(ShardId.EPOCH.plusSeconds(1), ShardId.bucketOf(user), 1);
    String missingSku = "stale-" + UUID.randomUUID();
    String admin = fixture.admin();
    ThrowingCallable getOrder = () -> fixture.first().orders(admin)
        .getOrder(GetOrderRequest.newBuilder().setId(missingOrder).build());
    ThrowingCallable listOrders = () -> fixture.first().orders(admin)
        .listOrders(ListOrdersRequest.newBuilder().setUserId(user).setPageSize(10).build());
    ThrowingCallable getStock = () -> fixture.first().inventory(admin)
        .getStock(GetStockRequest.newBuilder().setSku(missingSku).build());
    assertThat(codeOf(getOrder)).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(listOrders)).isEqualTo(Status.Code.OK);
    assertThat(codeOf(getStock)).isEqualTo(Status.Code.NOT_FOUND);

    assertStaleThenServed("GetOrder", ShardId.bucketOf(user), getOrder, Status.Code.NOT_FOUND);
    assertStaleThenServed("ListOrders", ShardId.bucketOf(user), listOrders, Status.Code.OK);
    assertStaleThenServed("GetStock", ShardRouter.bucketOfKey(missingSku), getStock, Status.Code.NOT_FOUND);
  }

  /**
   * Moves the bucket to the next shard in the shards' tables only (the service, polling every minute, does not
   * know); the read, routed to the shard it left, is UNAVAILABLE with RetryInfo; the refusal made the service read
   * the directory again, so the retry answers what the owner says.
   */
  private static void assertStaleThenServed(String rpc, int bucket, ThrowingCallable read,
      Status.Code onTheOwner) {
    List<DSLContext> shards = fixture.orderTopology().shards().stream().map(ShardsExtension::dsl).toList();
    BucketDirectory now = DirectoryStore.readNewest(shards).orElseThrow();
    DirectoryStore.publish(shards, now.withBucketMoved(bucket, (now.shardOf(bucket) + 1) % shards.size()));

    StatusRuntimeException stale = catchThrowableOfType(StatusRuntimeException.class, read);
    assertThat(stale).as("%s on the shard the bucket left", rpc).isNotNull();
    assertThat(stale.getStatus().getCode()).as("%s: not a false answer", rpc).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(retryDelay(stale.getStatus(), stale.getTrailers())).isPositive();
    await().atMost(Duration.ofSeconds(10)).until(() -> codeOf(read) == onTheOwner);
  }

  private static Status.Code codeOf(ThrowingCallable call) {
    try {
      call.call();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } catch (Throwable other) {
      throw new AssertionError("not a gRPC failure", other);
    }
  }
}
