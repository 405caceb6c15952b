package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.store.OrderEvent;
import dev.trellis.order.store.OrderEventReader;
import dev.trellis.order.store.OrderStore;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.order.v1.CancelOrderRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.TrackOrdersRequest;
import dev.trellis.order.v1.WatchOrderRequest;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.events.OutboxFeed;
import dev.trellis.platform.events.Subscription;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.StreamRecorder;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A change committed while WatchOrder or TrackOrders reads an order's first state is not lost: the stream is
 * registered for the order's events before that read, and what arrives meanwhile is sent after the state read.
 *
 * <p>The race is forced, not hoped for: the stream reads its first state through a hook that, after the read,
 * cancels the order (a real CancelOrder on the real order-service) and waits until the feed has delivered that
 * change. The feed hands a batch to its subscriptions one after another on its poller thread, in the order they
 * joined, so once a probe that joined after the stream has the change, the stream has been handed it too, while
 * its first read is still running.
 */
class OrderEventStreamIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final byte[] PAGE_KEY = "order-event-stream-it-page-token-key".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();
  @RegisterExtension
  final GrpcCleanup grpc = new GrpcCleanup();

  private OutboxFeed<OrderEvent> feed;
  private OrderStore store;

  @BeforeEach
  void openFeed() {
    feed = OutboxFeed.start(OrderEventReader.of(fixture.orderDb()), Duration.ofMillis(20), "stream-it");
    store = new OrderStore(fixture.orderDb(), new PageTokenCodec(PAGE_KEY, Clock.systemUTC(), Duration.ofHours(1)));
  }

  @AfterEach
  void closeFeed() {
    feed.close();
  }

  private long user;

  @BeforeEach
  void newUser() {
    user = fixture.createUser();
  }

  @Test
  void watchOrderSendsAChangeCommittedWhileItReadsTheFirstState() throws Exception {
    String owner = fixture.tokens().user(user);
    Order confirmed = fixture.first().orders(owner).createOrder(order(user, fixture.newSku(5, 100)).build());

    StreamRecorder<WatchOrderRequest, dev.trellis.order.v1.OrderEvent> watched = StreamRecorder.reading();
    streams(cancelDuringRead(owner)).watchOrder(WatchOrderRequest.newBuilder().setId(confirmed.getId()).build(),
        watched);

    assertThat(watched.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.OK);
    assertFirstStateThenCancellation(watched.messages(), confirmed);
  }

  @Test
  void trackOrdersSendsAChangeCommittedWhileItReadsTheFirstState() throws Exception {
    String owner = fixture.tokens().user(user);
    Order confirmed = fixture.first().orders(owner).createOrder(order(user, fixture.newSku(5, 100)).build());

    StreamRecorder<TrackOrdersRequest, dev.trellis.order.v1.OrderEvent> tracked = StreamRecorder.reading();
    StreamObserver<TrackOrdersRequest> requests = streams(cancelDuringRead(owner)).trackOrders(tracked);
    requests.onNext(TrackOrdersRequest.newBuilder().setAddOrderId(confirmed.getId()).build());
    requests.onCompleted();

    assertThat(tracked.awaitStatus(WAIT).getCode()).isEqualTo(Status.Code.OK);
    assertFirstStateThenCancellation(tracked.messages(), confirmed);
  }

  private static void assertFirstStateThenCancellation(List<dev.trellis.order.v1.OrderEvent> events,
      Order confirmed) {
    assertThat(events).extracting(dev.trellis.order.v1.OrderEvent::getStatus)
        .containsExactly(OrderStatus.ORDER_STATUS_CONFIRMED, OrderStatus.ORDER_STATUS_CANCELLED);
    assertThat(events.getFirst().getOrder()).isEqualTo(confirmed);
    assertThat(events.getLast().getReason()).isEqualTo("changed during the first read");
  }

  /**
   * Reads the order, then cancels it through order-service and returns only once the feed has handed the
   * cancellation to every subscription that joined before the probe: the state returned is older than a change
   * the stream has already been given.
   */
  private LongFunction<StoredOrder> cancelDuringRead(String owner) {
    return id -> {
      StoredOrder read = store.get(id);
      CountDownLatch delivered = new CountDownLatch(1);
      try (Subscription<OrderEvent> probe = feed.subscribe(e -> e.orderId() == id, 16, delivered::countDown)) {
        fixture.first().orders(owner).cancelOrder(CancelOrderRequest.newBuilder().setId(id)
            .setReason("changed during the first read").build());
        assertThat(delivered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the feed delivered the change").isTrue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return read;
    };
  }

  /** WatchOrder and TrackOrders over {@link OrderEventStream} on the test's feed, in process. */
  private OrderServiceGrpc.OrderServiceStub streams(LongFunction<StoredOrder> readAllowed) throws IOException {
    String name = grpc.uniqueName();
    grpc.register(InProcessServerBuilder.forName(name)
        .addService(new OrderServiceGrpc.OrderServiceImplBase() {
          @Override
          public void watchOrder(WatchOrderRequest request,
              StreamObserver<dev.trellis.order.v1.OrderEvent> response) {
            OrderEventStream.watch(response, feed, readAllowed, 16, request.getId());
          }

          @Override
          public StreamObserver<TrackOrdersRequest> trackOrders(
              StreamObserver<dev.trellis.order.v1.OrderEvent> response) {
            return OrderEventStream.track(response, feed, readAllowed, 16);
          }
        }).build().start());
    return OrderServiceGrpc.newStub(grpc.register(InProcessChannelBuilder.forName(name).build()));
  }
}
