package dev.trellis.edge.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.trellis.proto.TrellisDescriptors;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The route table over the real contracts (user and order services), as the edge builds it at start. */
class RouteTableTest {
  private static final List<ServiceDescriptor> SERVICES = TrellisDescriptors.load().services();
  private static final RouteTable TABLE = new RouteTable(HttpRules.routes(SERVICES));

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource({
      "GET, /v1/users/42, trellis.user.v1.UserService/GetUser, id=42",
      "GET, /v1/users, trellis.user.v1.UserService/ListUsers, ''",
      "POST, /v1/users, trellis.user.v1.UserService/CreateUser, ''",
      "PATCH, /v1/users/42, trellis.user.v1.UserService/UpdateUser, id=42",
      "DELETE, /v1/users/42, trellis.user.v1.UserService/DeleteUser, id=42",
      "GET, /v1/users:subscribe, trellis.user.v1.UserService/SubscribeToUpdates, ''",
      "POST, /v1/users:import, trellis.user.v1.UserService/ImportUsers, ''",
      "POST, /v1/orders, trellis.order.v1.OrderService/CreateOrder, ''",
      "GET, /v1/orders/9, trellis.order.v1.OrderService/GetOrder, id=9",
      "GET, /v1/users/42/orders, trellis.order.v1.OrderService/ListOrders, user_id=42",
      "POST, /v1/orders/9:cancel, trellis.order.v1.OrderService/CancelOrder, id=9",
      "GET, /v1/orders/9:watch, trellis.order.v1.OrderService/WatchOrder, id=9",
      "GET, /v1/inventory/SKU-1, trellis.order.v1.InventoryService/GetStock, sku=SKU-1",
      "PUT, /v1/inventory/SKU-1, trellis.order.v1.InventoryService/SetStock, sku=SKU-1"})
  void everyRouteOfTheContracts(String method, String path, String rpc, String binding) {
    RouteTable.Lookup lookup = TABLE.find(method, path);
    assertThat(lookup).isInstanceOf(RouteTable.Found.class);
    RouteTable.Found found = (RouteTable.Found) lookup;
    assertThat(found.route().grpcMethodName()).isEqualTo(rpc);
    assertThat(found.bindings()).isEqualTo(binding.isEmpty() ? Map.of()
        : Map.of(binding.split("=")[0], binding.split("=")[1]));
  }

  @Test
  void everyRpcWithARuleIsInTheTableAndNoOtherIs() {
    long rules = SERVICES.stream().flatMap(s -> s.getMethods().stream()).filter(HttpRules::hasRule).count();
    assertThat(TABLE.routes()).hasSize((int) rules);
    assertThat(TABLE.routes()).noneMatch(r -> r.method().getName().equals("TrackOrders"));
  }

  @Test
  void aKnownPathWithAnotherMethodListsTheAllowedOnes() {
    assertThat(TABLE.find("PUT", "/v1/users/42"))
        .isEqualTo(new RouteTable.WrongMethod(Set.of("DELETE", "GET", "PATCH")));
    assertThat(TABLE.find("DELETE", "/v1/orders/9:cancel")).isEqualTo(new RouteTable.WrongMethod(Set.of("POST")));
  }

  @Test
  void unknownPathsAndVerbsAreNotFound() {
    assertThat(TABLE.find("GET", "/v2/users/1")).isInstanceOf(RouteTable.NotFound.class);
    assertThat(TABLE.find("GET", "/v1/users/1/2")).isInstanceOf(RouteTable.NotFound.class);
    assertThat(TABLE.find("POST", "/v1/orders/9:refund")).as("an unknown verb stays in the segment: {id}")
        .isEqualTo(new RouteTable.WrongMethod(Set.of("GET")));
    assertThat(TABLE.find("GET", "users")).isInstanceOf(RouteTable.NotFound.class);
  }

  @Test
  void literalsWinOverVariables() {
    RouteTable.Found subscribe = (RouteTable.Found) TABLE.find("GET", "/v1/users:subscribe");
    assertThat(subscribe.route().method().getName()).isEqualTo("SubscribeToUpdates");
  }

  @Test
  void theSameMethodAndTemplateTwiceIsRefused() {
    List<Route> routes = HttpRules.routes(SERVICES);
    assertThatThrownBy(() -> new RouteTable(List.of(routes.get(0), routes.get(0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two http rules");
  }
}
