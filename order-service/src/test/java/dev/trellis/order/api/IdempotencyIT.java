package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static dev.trellis.order.store.jooq.Tables.SIM_PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.testing.ErrorDetails;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Idempotency keys (AIP-155) through the real service: a repeat replays the first answer with
 * {@code x-idempotent-replayed: true} and runs nothing again; the same key with another request is refused; the
 * key comes from request_id or the idempotency-key metadata; concurrent duplicates make one order and one charge.
 */
class IdempotencyIT {
  private static final Metadata.Key<String> REPLAYED =
      Metadata.Key.of("x-idempotent-replayed", Metadata.ASCII_STRING_MARSHALLER);
  /** The payment provider takes a while, so duplicates sent together all arrive while the first saga runs. */
  @RegisterExtension
  static final OrderServiceFixture fixture =
      OrderServiceFixture.withSettings(Map.of("TRELLIS_ORDER_SIM_PAYMENT_LATENCY", "300ms"));

  @Test
  void aRepeatReplaysTheFirstOrderWithTheHeaderAndChargesOnce() {
    long user = fixture.createUser();
    CreateOrderRequest request = order(user, fixture.newSku(5, 300)).build();

    Answer first = call(request, new Metadata());
    Answer again = call(request, new Metadata());

    assertThat(first.order().getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);
    assertThat(first.replayed()).isNull();
    assertThat(again.order()).isEqualTo(first.order());
    assertThat(again.replayed()).isEqualTo("true");
    assertThat(fixture.ordersOf(user)).isEqualTo(1);
    assertThat(charges(first.order())).isEqualTo(1);
  }

  @Test
  void theSameKeyForAnotherRequestIsFailedPrecondition() {
    long user = fixture.createUser();
    String sku = fixture.newSku(5, 300);
    CreateOrderRequest request = order(user, sku).build();
    call(request, new Metadata());

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> call(request.toBuilder()
        .setItems(0, LineItem.newBuilder().setSku(sku).setQuantity(2)).build(), new Metadata()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(ErrorDetails.detail(e, ErrorInfo.class).getReason()).isEqualTo("IDEMPOTENCY_KEY_REUSED");
    assertThat(fixture.ordersOf(user)).isEqualTo(1);
  }

  @Test
  void theKeyMayComeAsMetadataWhenRequestIdIsEmpty() {
    long user = fixture.createUser();
    CreateOrderRequest request = order(user, fixture.newSku(5, 300)).clearRequestId().build();
    Metadata key = new Metadata();
    key.put(IdempotencyHeaders.IDEMPOTENCY_KEY, UUID.randomUUID().toString());

    Answer first = call(request, key);
    Answer again = call(request, key);

    assertThat(again.order()).isEqualTo(first.order());
    assertThat(again.replayed()).isEqualTo("true");
    assertThat(fixture.ordersOf(user)).isEqualTo(1);
  }

  @Test
  void aMissingKeyOrTwoDifferentKeysAreInvalidArgumentOnRequestId() {
    long user = fixture.createUser();
    CreateOrderRequest keyless = order(user, fixture.newSku(5, 300)).clearRequestId().build();
    Metadata other = new Metadata();
    other.put(IdempotencyHeaders.IDEMPOTENCY_KEY, "another-key");

    StatusRuntimeException none = catchThrowableOfType(StatusRuntimeException.class,
        () -> call(keyless, new Metadata()));
    StatusRuntimeException both = catchThrowableOfType(StatusRuntimeException.class,
        () -> call(keyless.toBuilder().setRequestId("one-key").build(), other));

    for (StatusRuntimeException e : List.of(none, both)) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(ErrorDetails.detail(e, BadRequest.class).getFieldViolationsList())
          .extracting(BadRequest.FieldViolation::getField).containsExactly("request_id");
    }
    assertThat(fixture.ordersOf(user)).isZero();
    assertThat(fixture.keysOf(user)).isZero();
  }

  @Test
  void aClientErrorIsReplayedToo() {
    long user = fixture.createUser();
    CreateOrderRequest request = order(user, "no-such-sku-" + UUID.randomUUID()).build();

    StatusRuntimeException first = catchThrowableOfType(StatusRuntimeException.class,
        () -> call(request, new Metadata()));
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    StatusRuntimeException again = catchThrowableOfType(StatusRuntimeException.class, () ->
        stub(new AtomicReference<>(), trailers, new Metadata()).createOrder(request));

    assertThat(first.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(first.getTrailers().get(REPLAYED)).isNull();
    assertThat(again.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(again.getStatus().getDescription()).isEqualTo(first.getStatus().getDescription());
    assertThat(again.getTrailers().get(REPLAYED)).isEqualTo("true");
    assertThat(fixture.keysOf(user)).isEqualTo(1);
    assertThat(fixture.ordersOf(user)).isZero();
  }

  @Test
  void twentyConcurrentDuplicatesMakeOneOrderAndOneCharge() throws Exception {
    long user = fixture.createUser();
    String sku = fixture.newSku(50, 300);
    CreateOrderRequest request = order(user, sku).build();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Answer>> answers = new ArrayList<>();
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 20; i++) {
        answers.add(callers.submit(() -> {
          go.await();
          return call(request, new Metadata());
        }));
      }
      go.countDown();
    }
    List<Answer> results = new ArrayList<>();
    for (Future<Answer> answer : answers) {
      results.add(answer.get(60, TimeUnit.SECONDS));
    }

    Set<Long> ids = results.stream().map(a -> a.order().getId()).collect(Collectors.toSet());
    assertThat(ids).hasSize(1);
    assertThat(results).allSatisfy(a -> assertThat(a.order().getStatus())
        .isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED));
    assertThat(results.stream().filter(a -> "true".equals(a.replayed())).count()).isEqualTo(19);
    assertThat(fixture.ordersOf(user)).isEqualTo(1);
    assertThat(charges(results.get(0).order())).isEqualTo(1);
    assertThat(fixture.stock(sku).getSold()).isEqualTo(1);
  }

  @Test
  void keysBelongToTheirUser() {
    String sku = fixture.newSku(5, 300);
    String key = UUID.randomUUID().toString();
    long ada = fixture.createUser();
    long grace = fixture.createUser();

    Order first = call(order(ada, sku).setRequestId(key).build(), new Metadata()).order();
    Order second = call(order(grace, sku).setRequestId(key).build(), new Metadata()).order();

    assertThat(second.getId()).isNotEqualTo(first.getId());
  }

  private static long charges(Order order) {
    return fixture.count(SIM_PAYMENTS,
        SIM_PAYMENTS.IDEMPOTENCY_KEY.eq("order_" + order.getId() + "/process_payment"));
  }

  /** One CreateOrder as admin with extra request metadata; returns the order and the replay header. */
  private static Answer call(CreateOrderRequest request, Metadata extra) {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    Order order = stub(headers, new AtomicReference<>(), extra).createOrder(request);
    return new Answer(order, headers.get().get(REPLAYED));
  }

  private static OrderServiceGrpc.OrderServiceBlockingStub stub(AtomicReference<Metadata> headers,
      AtomicReference<Metadata> trailers, Metadata extra) {
    return fixture.first().orders(fixture.admin())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(extra),
            MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
  }

  private record Answer(Order order, String replayed) {}
}
