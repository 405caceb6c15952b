package dev.trellis.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the shape of the public API as packaged in the descriptor set: which RPCs exist, their streaming kinds,
 * and their REST mappings. A change here is an API change: it must be deliberate.
 */
class ContractTest {
  private final TrellisDescriptors descriptors = TrellisDescriptors.load();

  @Test
  void listsTheThreeServices() {
    assertThat(descriptors.services())
        .extracting(ServiceDescriptor::getFullName)
        .containsExactlyInAnyOrder(
            "trellis.user.v1.UserService", "trellis.order.v1.OrderService", "trellis.order.v1.InventoryService");
  }

  @Test
  void userServiceRpcsStreamingKindsAndHttpRules() {
    assertThat(shape("trellis.user.v1.UserService"))
        .containsExactly(
            Map.entry("GetUser", "unary GET /v1/users/{id}"),
            Map.entry("ListUsers", "server-streaming GET /v1/users"),
            Map.entry("CreateUser", "unary POST /v1/users body=*"),
            Map.entry("UpdateUser", "unary PATCH /v1/users/{id} body=user"),
            Map.entry("DeleteUser", "unary DELETE /v1/users/{id}"),
            Map.entry("SubscribeToUpdates", "server-streaming GET /v1/users:subscribe"),
            Map.entry("ImportUsers", "client-streaming POST /v1/users:import body=*"));
  }

  @Test
  void orderServiceRpcsStreamingKindsAndHttpRules() {
    assertThat(shape("trellis.order.v1.OrderService"))
        .containsExactly(
            Map.entry("CreateOrder", "unary POST /v1/orders body=*"),
            Map.entry("GetOrder", "unary GET /v1/orders/{id}"),
            Map.entry("ListOrders", "unary GET /v1/users/{user_id}/orders"),
            Map.entry("CancelOrder", "unary POST /v1/orders/{id}:cancel body=*"),
            Map.entry("WatchOrder", "server-streaming GET /v1/orders/{id}:watch"),
            Map.entry("TrackOrders", "bidi-streaming (no http rule)"));
  }

  @Test
  void inventoryServiceRpcsStreamingKindsAndHttpRules() {
    assertThat(shape("trellis.order.v1.InventoryService"))
        .containsExactly(
            Map.entry("GetStock", "unary GET /v1/inventory/{sku}"),
            Map.entry("SetStock", "unary PUT /v1/inventory/{sku} body=*"));
  }

  @Test
  void userFieldsKeepTheirSeedNumbers() {
    var user = descriptors.service("trellis.user.v1.UserService").orElseThrow()
        .getFile().findMessageTypeByName("User");
    Map<String, Integer> numbers = new LinkedHashMap<>();
    user.getFields().forEach(f -> numbers.put(f.getName(), f.getNumber()));
    assertThat(numbers).containsExactly(
        Map.entry("id", 1), Map.entry("email", 2), Map.entry("name", 3),
        Map.entry("created_at", 4), Map.entry("roles", 5), Map.entry("updated_at", 6));
  }

  @Test
  void descriptorSetCarriesCommentsForDocs() {
    var file = descriptors.service("trellis.user.v1.UserService").orElseThrow().getFile().toProto();
    assertThat(file.getSourceCodeInfo().getLocationList())
        .anySatisfy(l -> assertThat(l.getLeadingComments()).contains("Returns one user"));
  }

  @Test
  void generatedStubsMatchTheDescriptors() {
    assertThat(dev.trellis.user.v1.UserServiceGrpc.getServiceDescriptor().getMethods()).hasSize(7);
    assertThat(dev.trellis.order.v1.OrderServiceGrpc.getServiceDescriptor().getMethods()).hasSize(6);
    assertThat(dev.trellis.order.v1.InventoryServiceGrpc.getServiceDescriptor().getMethods()).hasSize(2);
  }

  private Map<String, String> shape(String service) {
    Map<String, String> shape = new LinkedHashMap<>();
    for (MethodDescriptor m : descriptors.service(service).orElseThrow().getMethods()) {
      shape.put(m.getName(), kind(m) + " " + http(m));
    }
    return shape;
  }

  private static String kind(MethodDescriptor m) {
    if (m.isClientStreaming() && m.isServerStreaming()) {
      return "bidi-streaming";
    }
    return m.isClientStreaming() ? "client-streaming" : m.isServerStreaming() ? "server-streaming" : "unary";
  }

  private static String http(MethodDescriptor m) {
    if (!m.getOptions().hasExtension(AnnotationsProto.http)) {
      return "(no http rule)";
    }
    HttpRule rule = m.getOptions().getExtension(AnnotationsProto.http);
    String verbAndPath = switch (rule.getPatternCase()) {
      case GET -> "GET " + rule.getGet();
      case POST -> "POST " + rule.getPost();
      case PUT -> "PUT " + rule.getPut();
      case PATCH -> "PATCH " + rule.getPatch();
      case DELETE -> "DELETE " + rule.getDelete();
      case CUSTOM -> rule.getCustom().getKind() + " " + rule.getCustom().getPath();
      case PATTERN_NOT_SET -> "?";
    };
    return rule.getBody().isEmpty() ? verbAndPath : verbAndPath + " body=" + rule.getBody();
  }
}
