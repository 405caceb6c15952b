package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import com.google.rpc.ResourceInfo;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.GetOrderRequest;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.ListOrdersRequest;
import dev.trellis.order.v1.ListOrdersResponse;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc.OrderServiceBlockingStub;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.testing.ErrorDetails;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** GetOrder, ListOrders and who may place, read and list which orders; bad requests name their fields. */
class OrderQueriesIT {
  @RegisterExtension
  static final OrderServiceFixture fixture = OrderServiceFixture.create();

  @Test
  void aUserReadsAndListsItsOwnOrdersNewestFirstPageByPage() {
    long user = fixture.createUser();
    OrderServiceBlockingStub owner = fixture.first().orders(fixture.tokens().user(user));
    String sku = fixture.newSku(100, 100);
    List<Long> placed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      placed.add(owner.createOrder(order(user, sku).build()).getId());
    }

    List<Long> listed = new ArrayList<>();
    ListOrdersResponse page = owner.listOrders(ListOrdersRequest.newBuilder().setUserId(user).setPageSize(2).build());
    listed.addAll(page.getOrdersList().stream().map(Order::getId).toList());
    while (!page.getNextPageToken().isEmpty()) {
      page = owner.listOrders(ListOrdersRequest.newBuilder().setUserId(user).setPageSize(2)
          .setPageToken(page.getNextPageToken()).build());
      listed.addAll(page.getOrdersList().stream().map(Order::getId).toList());
    }

    assertThat(listed).containsExactlyElementsOf(placed.reversed());
    assertThat(owner.getOrder(GetOrderRequest.newBuilder().setId(placed.get(0)).build()).getUserId())
        .isEqualTo(user);
  }

  @Test
  void aUserMayNotPlaceReadOrListAnotherUsersOrders() {
    long ada = fixture.createUser();
    long grace = fixture.createUser();
    Order adas = fixture.first().orders(fixture.admin()).createOrder(order(ada, fixture.newSku(5, 100)).build());
    OrderServiceBlockingStub asGrace = fixture.first().orders(fixture.tokens().user(grace));

    assertThat(code(() -> asGrace.createOrder(order(ada, fixture.newSku(5, 100)).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(() -> asGrace.getOrder(GetOrderRequest.newBuilder().setId(adas.getId()).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(() -> asGrace.listOrders(ListOrdersRequest.newBuilder().setUserId(ada).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    // Whether an order exists is no business of a user it does not belong to.
    assertThat(code(() -> asGrace.getOrder(GetOrderRequest.newBuilder().setId(adas.getId() + 1).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(fixture.ordersOf(ada)).isEqualTo(1);
  }

  @Test
  void servicesMayNotTouchOrders() {
    long user = fixture.createUser();
    OrderServiceBlockingStub asService = fixture.first().orders(fixture.tokens().service("reporting"));

    assertThat(code(() -> asService.createOrder(order(user, fixture.newSku(5, 100)).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(() -> asService.listOrders(ListOrdersRequest.newBuilder().setUserId(user).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void anAdminGetsNotFoundWithTheResourceForAMissingOrder() {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .orders(fixture.admin()).getOrder(GetOrderRequest.newBuilder().setId(42).build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(ErrorDetails.detail(e, ResourceInfo.class).getResourceName()).isEqualTo("orders/42");
  }

  @Test
  void aPageTokenOfOneUserIsRefusedForAnother() {
    long ada = fixture.createUser();
    String sku = fixture.newSku(10, 100);
    for (int i = 0; i < 2; i++) {
      fixture.first().orders(fixture.admin()).createOrder(order(ada, sku).build());
    }
    String token = fixture.first().orders(fixture.admin())
        .listOrders(ListOrdersRequest.newBuilder().setUserId(ada).setPageSize(1).build()).getNextPageToken();

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> fixture.first()
        .orders(fixture.admin()).listOrders(ListOrdersRequest.newBuilder().setUserId(fixture.createUser())
            .setPageToken(token).build()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(ErrorDetails.detail(e, BadRequest.class).getFieldViolations(0).getField()).isEqualTo("page_token");
  }

  @Test
  void aBadCreateOrderNamesEveryBadFieldAndStoresNothing() {
    long user = fixture.createUser();
    CreateOrderRequest bad = CreateOrderRequest.newBuilder()
        .setUserId(user)
        .addItems(LineItem.newBuilder().setSku("a b").setQuantity(0))
        .setRequestId("key")
        .setShippingAddress(ShippingAddress.newBuilder().setRecipient("Ada").setLine1("x").setCity("y")
            .setCountryCode("de"))
        .build();

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> fixture.first().orders(fixture.admin()).createOrder(bad));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(ErrorDetails.detail(e, BadRequest.class).getFieldViolationsList())
        .extracting(BadRequest.FieldViolation::getField)
        .containsExactly("items[0].sku", "items[0].quantity", "payment_token", "shipping_address.country_code");
    assertThat(fixture.keysOf(user)).isZero();
  }

  private static Status.Code code(Runnable call) {
    return catchThrowableOfType(StatusRuntimeException.class, call::run).getStatus().getCode();
  }
}
