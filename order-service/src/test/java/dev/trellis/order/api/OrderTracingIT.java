package dev.trellis.order.api;

import static dev.trellis.order.OrderServiceFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.trellis.order.OrderServiceFixture;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.testing.OtlpReceiver;
import dev.trellis.testing.ServiceExtension;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One trace shows a saga across both services: the CreateOrder server span, under it create_order, under that
 * each step; the GetUser client span under verify_user, and user-service's server span under that. Both services
 * export over real OTLP/gRPC to a stand-in collector.
 */
class OrderTracingIT {
  @RegisterExtension
  @org.junit.jupiter.api.Order(1)
  static final OtlpReceiver collector = OtlpReceiver.start();
  private static final ServiceExtension users = OrderServiceFixture.userService()
      .telemetry(() -> collector.telemetry("user-service"));
  @RegisterExtension
  @org.junit.jupiter.api.Order(2)
  static final OrderServiceFixture fixture = new OrderServiceFixture(users,
      OrderServiceFixture.orderService(users, Map.of()).telemetry(() -> collector.telemetry("order-service")));

  @Test
  void oneTraceHoldsTheServerSpanTheSagaItsStepsAndTheCallIntoUserService() {
    long user = fixture.createUser();
    Order order = fixture.first().orders(fixture.admin()).createOrder(order(user, fixture.newSku(5, 100)).build());
    assertThat(order.getStatus()).isEqualTo(OrderStatus.ORDER_STATUS_CONFIRMED);

    // Every span this reads, each in whichever export it ends up: the server span ends after the client has its
    // answer, so it may come in a later export than the saga's last step.
    await().atMost(Duration.ofSeconds(20)).until(() -> named("send_notification").size() == 1
        && collector.spans().stream().anyMatch(s -> s.getName().equals("trellis.user.v1.UserService/GetUser")
            && s.getKind() == Span.SpanKind.SPAN_KIND_SERVER && !s.getParentSpanId().isEmpty())
        && named("trellis.order.v1.OrderService/CreateOrder").stream()
            .anyMatch(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
        && !named("create_order").isEmpty());
    Span server = only("trellis.order.v1.OrderService/CreateOrder", Span.SpanKind.SPAN_KIND_SERVER);
    Span saga = only("create_order", Span.SpanKind.SPAN_KIND_INTERNAL);
    Span verify = only("verify_user", Span.SpanKind.SPAN_KIND_INTERNAL);
    Span getUserClient = only("trellis.user.v1.UserService/GetUser", Span.SpanKind.SPAN_KIND_CLIENT);
    List<Span> getUserServers = collector.spans().stream()
        .filter(s -> s.getName().equals("trellis.user.v1.UserService/GetUser"))
        .filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
        .filter(s -> s.getParentSpanId().equals(getUserClient.getSpanId()))
        .toList();

    assertThat(saga.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(verify.getParentSpanId()).isEqualTo(saga.getSpanId());
    assertThat(getUserClient.getParentSpanId()).isEqualTo(verify.getSpanId());
    assertThat(getUserServers).hasSize(1);
    for (String step : List.of("reserve_inventory", "process_payment", "create_shipment", "send_notification")) {
      Span span = only(step, Span.SpanKind.SPAN_KIND_INTERNAL);
      assertThat(span.getParentSpanId()).as(step).isEqualTo(saga.getSpanId());
      assertThat(span.getTraceId()).as(step).isEqualTo(server.getTraceId());
    }
    assertThat(List.of(saga, verify, getUserClient, getUserServers.getFirst()))
        .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(server.getTraceId()));
    assertThat(saga.getAttributesList()).anySatisfy(a -> {
      assertThat(a.getKey()).isEqualTo("saga.id");
      assertThat(a.getValue().getStringValue()).isEqualTo("order_" + order.getId());
    });
    assertThat(server.getTraceId()).isNotEqualTo(ByteString.EMPTY);
  }

  private static List<Span> named(String name) {
    return collector.spans().stream().filter(s -> s.getName().equals(name)).toList();
  }

  private static Span only(String name, Span.SpanKind kind) {
    List<Span> spans = named(name).stream().filter(s -> s.getKind() == kind).toList();
    assertThat(spans).as("%s spans named %s", kind, name).hasSize(1);
    return spans.getFirst();
  }
}
