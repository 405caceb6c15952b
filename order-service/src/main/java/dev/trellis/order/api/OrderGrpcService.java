package dev.trellis.order.api;

import static java.util.Objects.requireNonNull;

import dev.trellis.order.rules.NewOrder;
import dev.trellis.order.rules.OrderAccessRules;
import dev.trellis.order.rules.OrderValidation;
import dev.trellis.order.saga.OrderCancellation;
import dev.trellis.order.saga.OrderPlacement;
import dev.trellis.order.saga.OrderPlacement.Placement;
import dev.trellis.order.saga.ReplayedFailureException;
import dev.trellis.order.store.OrderEvent;
import dev.trellis.order.store.OrderStore;
import dev.trellis.order.store.StoredOrder;
import dev.trellis.order.v1.CancelOrderRequest;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.ListOrdersRequest;
import dev.trellis.order.v1.ListOrdersResponse;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.TrackOrdersRequest;
import dev.trellis.order.v1.WatchOrderRequest;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.context.CallContext;
import dev.trellis.platform.error.ApiException;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.platform.events.OutboxFeed;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The gRPC face of OrderService: who may call and what is valid (rules), then the saga's placement and
 * cancellation, or the store. Errors are the platform's ApiExceptions; the chain turns them into statuses.
 *
 * <p>CreateOrder answers when its saga has ended, without holding a thread meanwhile; the saga runs detached, so
 * a caller that cancels or times out does not stop it.
 */
public final class OrderGrpcService extends OrderServiceGrpc.OrderServiceImplBase {
  private static final String DEFAULT_CANCEL_REASON = "cancelled by the caller";

  private final OrderStore orders;
  private final OrderPlacement placement;
  private final OrderCancellation cancellation;
  private final OutboxFeed<OrderEvent> events;
  private final int watcherBuffer;

  /** @param watcherBuffer how many changes may wait for a slow watcher before it is cut off */
  public OrderGrpcService(OrderStore orders, OrderPlacement placement, OrderCancellation cancellation,
      OutboxFeed<OrderEvent> events, int watcherBuffer) {
    this.orders = requireNonNull(orders, "orders");
    this.placement = requireNonNull(placement, "placement");
    this.cancellation = requireNonNull(cancellation, "cancellation");
    this.events = requireNonNull(events, "events");
    this.watcherBuffer = watcherBuffer;
  }

  /** The service with its own interceptor: the idempotency-key metadata and the replay header. */
  public ServerServiceDefinition withIdempotencyHeaders() {
    return ServerInterceptors.intercept(this, new IdempotencyHeaders());
  }

  @Override
  public void createOrder(CreateOrderRequest request, StreamObserver<Order> response) {
    IdempotencyHeaders.Call idempotent = IdempotencyHeaders.current();
    NewOrder order = OrderValidation.newOrder(request.getUserId(), OrderMessages.items(request),
        request.getPaymentToken(), OrderMessages.address(request), request.getRequestId(),
        idempotent.metadataKey());
    OrderAccessRules.checkCreate(CallContext.principal(), order.userId());
    ServerCallStreamObserver<Order> call = (ServerCallStreamObserver<Order>) response;
    call.setOnCancelHandler(() -> { }); // the caller left; the saga goes on
    CompletableFuture<Placement> placed;
    try {
      placed = placement.place(order, OrderMessages.requestHash(request));
    } catch (ReplayedFailureException replayed) {
      idempotent.replayed();
      call.onError(OrderMessages.toFailure(replayed.status()));
      return;
    }
    placed.whenComplete((result, failure) -> {
      if (call.isCancelled()) {
        return;
      }
      if (failure != null) {
        call.onError(answerFor(failure));
        return;
      }
      if (result.replayed()) {
        idempotent.replayed();
      }
      call.onNext(OrderMessages.toProto(result.order()));
      call.onCompleted();
    });
  }

  @Override
  public void getOrder(GetOrderRequest request, StreamObserver<Order> response) {
    OrderValidation.id("id", request.getId());
    respond(response, OrderMessages.toProto(readAllowed(CallContext.principal(), request.getId())));
  }

  @Override
  public void listOrders(ListOrdersRequest request, StreamObserver<ListOrdersResponse> response) {
    OrderValidation.id("user_id", request.getUserId());
    int pageSize = OrderValidation.pageSize(request.getPageSize());
    OrderAccessRules.checkList(CallContext.principal(), request.getUserId());
    OrderStore.OrderPage page = orders.list(request.getUserId(), pageSize, request.getPageToken());
    ListOrdersResponse.Builder answer = ListOrdersResponse.newBuilder();
    page.orders().forEach(o -> answer.addOrders(OrderMessages.toProto(o)));
    page.nextPageToken().ifPresent(answer::setNextPageToken);
    respond(response, answer.build());
  }

  @Override
  public void cancelOrder(CancelOrderRequest request, StreamObserver<Order> response) {
    OrderValidation.id("id", request.getId());
    OrderValidation.reason(request.getReason());
    StoredOrder order = readAllowed(CallContext.principal(), request.getId());
    String reason = request.getReason().isBlank() ? DEFAULT_CANCEL_REASON : request.getReason();
    respond(response, OrderMessages.toProto(cancellation.cancel(order, reason)));
  }

  @Override
  public void watchOrder(WatchOrderRequest request, StreamObserver<dev.trellis.order.v1.OrderEvent> response) {
    OrderValidation.id("id", request.getId());
    Principal caller = CallContext.principal();
    OrderEventStream.watch(response, events, id -> readAllowed(caller, id), watcherBuffer, request.getId());
  }

  @Override
  public StreamObserver<TrackOrdersRequest> trackOrders(
      StreamObserver<dev.trellis.order.v1.OrderEvent> response) {
    Principal caller = CallContext.principal();
    return OrderEventStream.track(response, events, id -> readAllowed(caller, id), watcherBuffer);
  }

  private StoredOrder readAllowed(Principal caller, long orderId) {
    Optional<StoredOrder> order = orders.find(orderId);
    OrderAccessRules.checkOrder(caller, orderId,
        order.map(o -> OptionalLong.of(o.userId())).orElse(OptionalLong.empty()));
    return order.orElseThrow();
  }

  /**
   * What to answer when the saga could not be followed to its end here: its own refusal as it is; otherwise this
   * replica stopped driving it (shutdown, lost lease, a failure it logged) and another finishes it, so a retry
   * with the same key gets the result.
   */
  private static Throwable answerFor(Throwable failure) {
    Throwable cause = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
    if (cause instanceof ApiException api) {
      return api;
    }
    return new UnavailableException("the order is being finished in the background; retry with the same "
        + "request_id for its result, or watch it");
  }

  private static <T> void respond(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }
}
