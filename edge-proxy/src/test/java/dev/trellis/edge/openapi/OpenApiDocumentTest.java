package dev.trellis.edge.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.edge.EdgeApi;
import dev.trellis.edge.route.Route;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import dev.trellis.proto.TrellisDescriptors;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The OpenAPI document of the real contracts, read back by swagger-parser (a real OpenAPI 3 parser). */
class OpenApiDocumentTest {
  private static final List<String> SERVICES = List.of("trellis.user.v1.UserService",
      "trellis.order.v1.OrderService", "trellis.order.v1.InventoryService");
  private static final EdgeApi API = EdgeApi.of(TrellisDescriptors.load(), SERVICES);
  private static final SwaggerParseResult PARSED = new OpenAPIV3Parser().readContents(
      new String(OpenApiDocument.generate(API, "Trellis API", "v1"), StandardCharsets.UTF_8));

  @Test
  void isAValidOpenApi3Document() {
    assertThat(PARSED.getMessages()).isEmpty();
    assertThat(PARSED.getOpenAPI().getOpenapi()).isEqualTo("3.0.3");
  }

  @Test
  void coversEveryRoute() {
    OpenAPI doc = PARSED.getOpenAPI();
    for (Route route : API.routes().routes()) {
      PathItem path = doc.getPaths().get(route.template().openApiPath());
      assertThat(path).as(route.toString()).isNotNull();
      Operation op = path.readOperationsMap().get(PathItem.HttpMethod.valueOf(route.httpMethod()));
      assertThat(op).as(route.toString()).isNotNull();
      assertThat(op.getTags()).containsExactly(route.method().getService().getFullName());
      assertThat(op.getResponses().get("default").getContent().get("application/json").getSchema().get$ref())
          .endsWith("google.rpc.Status");
      for (var variable : route.template().variables()) {
        assertThat(op.getParameters()).anyMatch(p -> p.getName().equals(variable.fieldPath())
            && p.getIn().equals("path") && p.getRequired());
      }
    }
    assertThat(API.routes().routes()).hasSize(14);
  }

  @Test
  void commentsAreDescriptionsAndFieldBehavioursAreRequiredAndReadOnly() {
    OpenAPI doc = PARSED.getOpenAPI();
    Operation get = doc.getPaths().get("/v1/users/{id}").getGet();
    assertThat(get.getSummary()).isEqualTo("Returns one user. A user may read itself; admins and services may read "
        + "anyone.");
    Schema<?> user = doc.getComponents().getSchemas().get("trellis.user.v1.User");
    assertThat(user.getDescription()).isEqualTo("A person or machine that can sign in to Trellis.");
    assertThat(user.getRequired()).containsExactlyInAnyOrder("email", "name");
    Schema<?> id = (Schema<?>) user.getProperties().get("id");
    assertThat(id.getReadOnly()).isTrue();
    assertThat(id.getType()).isEqualTo("string");
    assertThat(id.getFormat()).isEqualTo("int64");
    assertThat(user.getProperties()).containsKeys("createdAt", "updatedAt", "roles");
    Schema<?> status = doc.getComponents().getSchemas().get("trellis.order.v1.OrderStatus");
    assertThat(status.getEnum().stream().map(String::valueOf)).contains("ORDER_STATUS_CONFIRMED");
  }

  @Test
  void queryParametersBodiesAndStreams() {
    OpenAPI doc = PARSED.getOpenAPI();
    List<String> listParams = doc.getPaths().get("/v1/users").getGet().getParameters().stream()
        .map(Parameter::getName).toList();
    assertThat(listParams).containsExactly("page_size", "page_token", "filter");
    assertThat(doc.getPaths().get("/v1/users").getGet().getResponses().get("200").getContent())
        .containsKey("application/x-ndjson");
    Operation update = doc.getPaths().get("/v1/users/{id}").getPatch();
    Schema<?> userBody = (Schema<?>) update.getRequestBody().getContent().get("application/json").getSchema()
        .getAllOf().get(0);
    assertThat(userBody.get$ref()).endsWith("trellis.user.v1.User");
    assertThat(update.getParameters().stream().map(Parameter::getName)).containsExactly("id", "update_mask");
    Operation importUsers = doc.getPaths().get("/v1/users:import").getPost();
    assertThat(importUsers.getRequestBody().getContent()).containsKeys("application/json", "application/x-ndjson");
    assertThat(importUsers.getRequestBody().getContent().get("application/json").getSchema().getType())
        .isEqualTo("array");
    Operation setStock = doc.getPaths().get("/v1/inventory/{sku}").getPut();
    Schema<?> body = setStock.getRequestBody().getContent().get("application/json").getSchema();
    assertThat(body.getProperties()).as("body \"*\" without the path's fields").containsOnlyKeys("available",
        "unitPriceCents");
    assertThat(doc.getPaths().get("/v1/orders/{id}:cancel").getPost()).isNotNull();
    assertThat(doc.getPaths().keySet()).allMatch(p -> !p.toLowerCase(Locale.ROOT).contains("track"));
  }

  @Test
  void everyOperationSaysWhoMayCallItAsItsMethodDeclares() {
    OpenAPI doc = PARSED.getOpenAPI();
    MethodAccessTable table = MethodAccessTable.load();
    for (Route route : API.routes().routes()) {
      Operation op = doc.getPaths().get(route.template().openApiPath()).readOperationsMap()
          .get(PathItem.HttpMethod.valueOf(route.httpMethod()));
      AccessDeclaration declared = table.find(MethodAccessTable.fullMethodName(route.method())).orElseThrow();
      assertThat(op.getExtensions()).as(route.toString()).containsKey(OpenApiDocument.ACCESS_EXTENSION);
      Map<?, ?> access = (Map<?, ?>) op.getExtensions().get(OpenApiDocument.ACCESS_EXTENSION);
      assertThat(access.get("roles")).as(route.toString()).isEqualTo(declared.roles());
      assertThat(access.get("services")).as(route.toString()).isEqualTo(declared.services());
      assertThat(access.get("ownerOnly")).as(route.toString()).isEqualTo(declared.ownerOnly());
      assertThat(Optional.ofNullable((String) access.get("ownerField"))).as(route.toString())
          .isEqualTo(declared.ownerField());
    }
  }

  @Test
  void anOperationsDescriptionEndsWithWhoMayCallIt() {
    OpenAPI doc = PARSED.getOpenAPI();
    assertThat(doc.getPaths().get("/v1/users/{id}").getGet().getDescription()).endsWith("\n\nWho may call: end users "
        + "with role user or admin (a non-admin must own the user in `id`); the service order-service.");
    assertThat(doc.getPaths().get("/v1/users").getGet().getDescription())
        .endsWith("\n\nWho may call: end users with role admin.");
    assertThat(doc.getPaths().get("/v1/orders/{id}").getGet().getDescription())
        .endsWith("\n\nWho may call: end users with role user or admin (a non-admin must own what it touches).");
  }
}
