package dev.trellis.conformance;

import static dev.trellis.conformance.CaseFailure.check;
import static dev.trellis.conformance.CaseFailure.expectCode;
import static dev.trellis.conformance.CaseFailure.statusOf;

import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetStockRequest;
import dev.trellis.order.v1.ListOrdersRequest;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderEvent;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.Stock;
import dev.trellis.order.v1.TrackOrdersRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The interop cases that map onto order-service's RPCs (and, through its saga, user-service's). */
final class OrderServiceCases {
  static final String TARGET = "order-service";
  /** Lines of large_unary's order: a real wholesale order, within the contract's 500. */
  static final int LARGE_ORDER_LINES = 300;
  /** Shorter than the simulator's slow payment (2 s), longer than the steps before it. */
  private static final Duration SLEEPING_SERVER_DEADLINE = Duration.ofMillis(700);

  private final MeshClients clients;
  private final RunData data;

  OrderServiceCases(MeshClients clients, RunData data) {
    this.clients = clients;
    this.data = data;
  }

  List<InteropCase> cases() {
    return List.of(
        new InteropCase("large_unary", "OrderService/CreateOrder", TARGET, this::largeUnary),
        new InteropCase("ping_pong", "OrderService/TrackOrders", TARGET, this::pingPong),
        new InteropCase("empty_stream", "OrderService/TrackOrders", TARGET, this::emptyStream),
        new InteropCase("timeout_on_sleeping_server", "OrderService/CreateOrder", TARGET,
            this::timeoutOnSleepingServer),
        new InteropCase("deadline_propagation", "OrderService/CreateOrder -> UserService/GetUser", TARGET,
            this::deadlinePropagation));
  }

  /** An order of hundreds of lines: a large request and a large response, all lines priced. */
  private String largeUnary() {
    long user = data.newUser(data.tag()).getId();
    List<String> skus = data.newSkus(LARGE_ORDER_LINES, 5, 100);
    CreateOrderRequest request = data.order(user, skus, RunData.PAY_OK);
    Order order = clients.orders().createOrder(request);
    check(order.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED,
        "the order ended " + order.getStatus() + " (" + order.getReason() + ")");
    check(order.getItemsCount() == LARGE_ORDER_LINES, "the order has " + order.getItemsCount() + " lines");
    long expected = (long) LARGE_ORDER_LINES * 100 + (long) LARGE_ORDER_LINES * (LARGE_ORDER_LINES - 1) / 2;
    check(order.getTotalCents() == expected, "total " + order.getTotalCents() + "; expected " + expected);
    return LARGE_ORDER_LINES + " lines (" + request.getSerializedSize() + " bytes out, "
        + order.getSerializedSize() + " back), CONFIRMED";
  }

  /** TrackOrders: each added order's state comes back before the next request; the stream ends after half-close. */
  private String pingPong() throws Exception {
    long user = data.newUser(data.tag()).getId();
    String sku = data.newSku(10, 500);
    List<Long> orders = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // Declined payments: REJECTED is terminal, so the stream may end once the client half-closes.
      Order order = clients.orders().createOrder(data.order(user, List.of(sku), RunData.PAY_DECLINED));
      check(order.getStatus() == OrderStatus.ORDER_STATUS_REJECTED, "a declined order ended " + order.getStatus());
      orders.add(order.getId());
    }
    ResponseStream<TrackOrdersRequest, OrderEvent> tracking = ResponseStream.flowing();
    StreamObserver<TrackOrdersRequest> requests = clients.ordersAsync().trackOrders(tracking);
    for (long id : orders) {
      requests.onNext(TrackOrdersRequest.newBuilder().setAddOrderId(id).build());
      OrderEvent event = tracking.next();
      check(event != null, "no answer to adding order " + id);
      check(event.getOrderId() == id && event.getStatus() == OrderStatus.ORDER_STATUS_REJECTED,
          "adding order " + id + " answered " + event.getOrderId() + " " + event.getStatus());
    }
    requests.onCompleted();
    Status end = tracking.end();
    expectCode(end, Status.Code.OK, "TrackOrders after half-close");
    check(tracking.messages.isEmpty(), "events after the pings: " + tracking.messages);
    return orders.size() + " pings, " + orders.size() + " pongs in turn, then OK";
  }

  /** TrackOrders half-closed at once: no message either way, status OK. */
  private String emptyStream() throws Exception {
    ResponseStream<TrackOrdersRequest, OrderEvent> tracking = ResponseStream.flowing();
    clients.ordersAsync().trackOrders(tracking).onCompleted();
    Status end = tracking.end();
    expectCode(end, Status.Code.OK, "an empty TrackOrders");
    check(tracking.messages.isEmpty(), "an empty TrackOrders sent " + tracking.messages);
    return "no messages, OK";
  }

  /**
   * A deadline shorter than the payment step (the simulator's tok_slow sleeps 2 s): DEADLINE_EXCEEDED. The saga
   * is not the caller's to stop: the same request then answers its one order, which sold one unit, not two.
   */
  private String timeoutOnSleepingServer() {
    long user = data.newUser(data.tag()).getId();
    String sku = data.newSku(5, 300);
    CreateOrderRequest request = data.order(user, List.of(sku), RunData.PAY_SLOW);
    long started = System.nanoTime();
    Status late = statusOf(() -> clients.orders()
            .withDeadlineAfter(SLEEPING_SERVER_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).createOrder(request),
        "CreateOrder with a " + SLEEPING_SERVER_DEADLINE.toMillis() + " ms deadline");
    long waited = Duration.ofNanos(System.nanoTime() - started).toMillis();
    expectCode(late, Status.Code.DEADLINE_EXCEEDED, "CreateOrder with a deadline shorter than the payment");
    Order placed = clients.orders().createOrder(request);
    check(placed.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED, "the saga ended " + placed.getStatus());
    return "DEADLINE_EXCEEDED after " + waited + " ms; " + oneOrderOneSale(user, sku, placed);
  }

  /**
   * A deadline that ends while order-service is still verifying the user with user-service: DEADLINE_EXCEEDED,
   * and nothing half-done (the retry with the same key places exactly one order). That order-service's own call to
   * user-service carries and obeys the deadline is proven inside the services by DeadlinesIT; from outside, the
   * retry shows that the shortened attempt left nothing behind.
   */
  private String deadlinePropagation() {
    long user = data.newUser(data.tag()).getId();
    String sku = data.newSku(5, 300);
    CreateOrderRequest request = data.order(user, List.of(sku), RunData.PAY_OK);
    Status late = statusOf(() -> clients.orders().withDeadlineAfter(2, TimeUnit.MILLISECONDS).createOrder(request),
        "CreateOrder with a 2 ms deadline");
    expectCode(late, Status.Code.DEADLINE_EXCEEDED, "CreateOrder with a 2 ms deadline");
    Order placed = clients.orders().createOrder(request);
    check(placed.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED, "the retry ended " + placed.getStatus());
    return "DEADLINE_EXCEEDED, then the retry: " + oneOrderOneSale(user, sku, placed);
  }

  private String oneOrderOneSale(long user, String sku, Order placed) {
    List<Order> orders = clients.orders().listOrders(ListOrdersRequest.newBuilder().setUserId(user).build())
        .getOrdersList();
    check(orders.size() == 1 && orders.getFirst().getId() == placed.getId(),
        "the user has " + orders.size() + " orders; expected exactly the one placed");
    Stock stock = clients.inventory().getStock(GetStockRequest.newBuilder().setSku(sku).build());
    check(stock.getSold() == 1 && stock.getReserved() == 0,
        "the SKU sold " + stock.getSold() + " and holds " + stock.getReserved() + "; expected 1 sold, 0 held");
    return "one order, one unit sold";
  }
}
