package dev.trellis.edge.openapi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.FieldBehavior;
import com.google.api.FieldBehaviorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.trellis.edge.EdgeApi;
import dev.trellis.edge.route.HttpRules;
import dev.trellis.edge.route.PathTemplate;
import dev.trellis.edge.route.Route;
import dev.trellis.proto.AccessDeclaration;
import dev.trellis.proto.MethodAccessTable;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * An OpenAPI 3.0 document of the REST API, generated from the same descriptors and http rules the edge serves: a
 * path per template, an operation per route, parameters for path variables and (where the rule leaves fields to the
 * query) query parameters, the request body as the rule says, and a schema per message in the proto3 JSON mapping.
 * The .proto comments are the descriptions; field_behavior REQUIRED makes a field required, OUTPUT_ONLY readOnly,
 * INPUT_ONLY writeOnly; {@code deprecated = true} is deprecated. Who may call an operation is its method's
 * {@code (trellis.access.v1.access)} declaration, the one the services enforce and the mesh's policies are made of:
 * an {@value #ACCESS_EXTENSION} object per operation ({@code roles}, {@code ownerOnly}, {@code ownerField},
 * {@code services}) and a sentence at the end of its description; a method that declares nothing (a contract that
 * is not Trellis's) has neither.
 */
public final class OpenApiDocument {
  /** The operation's extension that says who may call it, from the method's access declaration. */
  public static final String ACCESS_EXTENSION = "x-trellis-access";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String STATUS = "google.rpc.Status";
  private static final int MAX_QUERY_DEPTH = 4;

  private final EdgeApi api;
  private final ObjectNode schemas = NODES.objectNode();
  private final Deque<GenericDescriptor> pending = new ArrayDeque<>();
  private final Set<String> named = new HashSet<>();

  private OpenApiDocument(EdgeApi api) {
    this.api = api;
  }

  /** The document as JSON bytes. */
  public static byte[] generate(EdgeApi api, String title, String version) {
    requireNonNull(api, "api");
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter()
          .writeValueAsBytes(new OpenApiDocument(api).build(title, version));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode build(String title, String version) {
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.3");
    ObjectNode info = doc.putObject("info");
    info.put("title", title);
    info.put("version", version);
    info.put("description", "REST for the gRPC services, transcoded per their google.api.http rules. Errors are a "
        + "google.rpc.Status; server streams are NDJSON (one JSON object per line; an error in the middle is a last "
        + "line {\"error\": Status}); client streams take a JSON array or NDJSON.");
    ArrayNode tags = doc.putArray("tags");
    for (ServiceDescriptor service : api.services()) {
      ObjectNode tag = tags.addObject().put("name", service.getFullName());
      describe(tag, service);
    }
    ObjectNode paths = doc.putObject("paths");
    for (Route route : api.routes().routes()) {
      ObjectNode path = paths.has(route.template().openApiPath())
          ? (ObjectNode) paths.get(route.template().openApiPath())
          : paths.putObject(route.template().openApiPath());
      String verb = route.httpMethod().toLowerCase(Locale.ROOT);
      if (path.has(verb)) {
        continue; // two templates that read alike in OpenAPI ({name=a/*} and {name=b/*}): the first stands
      }
      String id = route.method().getService().getName() + "_" + route.method().getName()
          + (route.binding() > 0 ? "_" + route.binding() : "");
      path.set(verb, operation(route, id));
    }
    ref(api.json().registry().find(STATUS));
    drainSchemas();
    doc.putObject("components").set("schemas", sortedSchemas());
    return doc;
  }

  private ObjectNode operation(Route route, String id) {
    MethodDescriptor method = route.method();
    ObjectNode op = NODES.objectNode();
    op.put("operationId", id);
    op.putArray("tags").add(method.getService().getFullName());
    String comment = api.comments().of(method);
    op.put("summary", comment.isEmpty() ? method.getName() : comment.split("\n", 2)[0]);
    Optional<AccessDeclaration> access = MethodAccessTable.declarationOf(method);
    String whoMayCall = access.map(d -> "\n\nWho may call: " + whoMayCall(d) + ".").orElse("");
    if (!comment.isEmpty()) {
      op.put("description", comment + "\n\ngRPC: " + route.grpcMethodName() + whoMayCall);
    } else if (!whoMayCall.isEmpty()) {
      op.put("description", "gRPC: " + route.grpcMethodName() + whoMayCall);
    }
    access.ifPresent(d -> op.set(ACCESS_EXTENSION, accessObject(d)));
    if (method.getOptions().getDeprecated()) {
      op.put("deprecated", true);
    }
    ArrayNode parameters = NODES.arrayNode();
    for (PathTemplate.Variable variable : route.template().variables()) {
      FieldDescriptor field = HttpRules.resolve(method.getInputType(), variable.fieldPath(), method);
      ObjectNode parameter = parameters.addObject();
      parameter.put("name", variable.fieldPath()).put("in", "path").put("required", true);
      ObjectNode schema = fieldSchema(field, false);
      parameter.set("schema", schema);
      String description = api.comments().of(field);
      if (route.template().multiSegment(variable)) {
        description = (description + " A value of several path segments: slashes stay as they are.").strip();
      }
      if (!description.isEmpty()) {
        parameter.put("description", description);
      }
    }
    if (!route.wholeBody() && !route.clientStreaming()) {
      queryParameters(route, method.getInputType(), "", 0, new HashSet<>(), parameters);
    }
    if (!parameters.isEmpty()) {
      op.set("parameters", parameters);
    }
    if (route.hasBody()) {
      op.set("requestBody", requestBody(route));
    }
    ObjectNode responses = op.putObject("responses");
    ObjectNode ok = responses.putObject("200");
    ObjectNode content = ok.putObject("content");
    ObjectNode body = responseSchema(route);
    if (route.serverStreaming()) {
      ok.put("description", "A stream: one JSON object per line (NDJSON), each sent as the service sends it; an "
          + "error after the first line ends the stream as a last line {\"error\": google.rpc.Status}.");
      content.putObject("application/x-ndjson").set("schema", body);
    } else {
      ok.put("description", "The response.");
      content.putObject("application/json").set("schema", body);
    }
    ObjectNode error = responses.putObject("default");
    error.put("description", "An error: the google.rpc.Status of the call, with its details; the HTTP status maps "
        + "its code (400 INVALID_ARGUMENT, 401, 403, 404, 409, 429 with Retry-After, 503, 504, ...).");
    error.putObject("content").putObject("application/json").set("schema", ref(typeOf(STATUS)));
    return op;
  }

  /** The declaration as the extension carries it. */
  private static ObjectNode accessObject(AccessDeclaration declaration) {
    ObjectNode access = NODES.objectNode();
    declaration.roles().forEach(access.putArray("roles")::add);
    access.put("ownerOnly", declaration.ownerOnly());
    declaration.ownerField().ifPresent(field -> access.put("ownerField", field));
    declaration.services().forEach(access.putArray("services")::add);
    return access;
  }

  /** The declaration in words: "role user (owning `id`) or admin; service order-service". */
  private static String whoMayCall(AccessDeclaration declaration) {
    List<String> parts = new ArrayList<>();
    if (!declaration.roles().isEmpty()) {
      parts.add("end users with role " + String.join(" or ", declaration.roles())
          + (declaration.ownerOnly() ? " (a non-admin must own " + ownedThing(declaration) + ")" : ""));
    }
    if (!declaration.services().isEmpty()) {
      parts.add("the service" + (declaration.services().size() > 1 ? "s " : " ")
          + String.join(", ", declaration.services()));
    }
    return String.join("; ", parts);
  }

  private static String ownedThing(AccessDeclaration declaration) {
    return declaration.ownerField().map(field -> "the user in `" + field + "`").orElse("what it touches");
  }

  private ObjectNode requestBody(Route route) {
    ObjectNode requestBody = NODES.objectNode().put("required", !route.clientStreaming());
    ObjectNode content = requestBody.putObject("content");
    Descriptor input = route.method().getInputType();
    if (route.clientStreaming()) {
      requestBody.put("description", "The messages of the client stream: a JSON array, or NDJSON (one per line).");
      content.putObject("application/json").putObject("schema").put("type", "array").set("items", ref(input));
      content.putObject("application/x-ndjson").set("schema", ref(input));
      return requestBody;
    }
    FieldDescriptor field = route.bodyField();
    ObjectNode schema;
    if (field != null) {
      schema = fieldSchema(field, true);
      describe(requestBody, field);
    } else if (route.template().variables().isEmpty()) {
      schema = ref(input);
    } else {
      schema = messageSchema(input, new HashSet<>(route.pathFields()));
      schema.put("description", "The fields of " + input.getFullName() + " that the path does not hold.");
    }
    content.putObject("application/json").set("schema", schema);
    return requestBody;
  }

  private ObjectNode responseSchema(Route route) {
    FieldDescriptor field = route.responseBodyField();
    return field == null ? ref(route.method().getOutputType()) : fieldSchema(field, true);
  }

  /** Every leaf field the query may set, by dotted proto name, through singular messages. */
  private void queryParameters(Route route, Descriptor type, String prefix, int depth, Set<String> seen,
      ArrayNode parameters) {
    if (depth > MAX_QUERY_DEPTH || !seen.add(type.getFullName() + "@" + prefix)) {
      return;
    }
    for (FieldDescriptor field : type.getFields()) {
      String name = prefix + field.getName();
      if (depth == 0 && route.bodyField() != null && field.equals(route.bodyField())) {
        continue;
      }
      if (route.pathFields().contains(name) || field.isMapField()) {
        continue;
      }
      if (isMessage(field) && !HttpRules.isScalarLike(field.getMessageType())) {
        if (!field.isRepeated()) {
          queryParameters(route, field.getMessageType(), name + ".", depth + 1, seen, parameters);
        }
        continue;
      }
      ObjectNode parameter = parameters.addObject();
      parameter.put("name", name).put("in", "query");
      if (field.isRepeated()) {
        parameter.put("explode", true);
      }
      parameter.set("schema", fieldSchema(field, false));
      describe(parameter, field);
    }
  }

  private static boolean isMessage(FieldDescriptor field) {
    return field.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
  }

  /** The schema of a message, inline, leaving out some top-level fields. */
  private ObjectNode messageSchema(Descriptor type, Set<String> without) {
    ObjectNode schema = NODES.objectNode().put("type", "object");
    ObjectNode properties = schema.putObject("properties");
    ArrayNode required = NODES.arrayNode();
    for (FieldDescriptor field : type.getFields()) {
      if (without.contains(field.getName())) {
        continue;
      }
      properties.set(field.getJsonName(), fieldSchema(field, true));
      if (behaviors(field).contains(FieldBehavior.REQUIRED)) {
        required.add(field.getJsonName());
      }
    }
    if (!required.isEmpty()) {
      schema.set("required", required);
    }
    return schema;
  }

  private ObjectNode fieldSchema(FieldDescriptor field, boolean annotate) {
    ObjectNode schema;
    if (field.isMapField()) {
      FieldDescriptor value = field.getMessageType().findFieldByName("value");
      schema = NODES.objectNode().put("type", "object");
      schema.set("additionalProperties", valueSchema(value));
    } else if (field.isRepeated()) {
      schema = NODES.objectNode().put("type", "array");
      schema.set("items", valueSchema(field));
    } else {
      schema = valueSchema(field);
    }
    if (annotate) {
      if (schema.has("$ref")) {
        ObjectNode wrapped = NODES.objectNode();
        wrapped.putArray("allOf").add(schema);
        schema = wrapped;
      }
      describe(schema, field);
      Set<FieldBehavior> behaviors = behaviors(field);
      if (behaviors.contains(FieldBehavior.OUTPUT_ONLY)) {
        schema.put("readOnly", true);
      }
      if (behaviors.contains(FieldBehavior.INPUT_ONLY)) {
        schema.put("writeOnly", true);
      }
      if (field.getOptions().getDeprecated()) {
        schema.put("deprecated", true);
      }
    }
    return schema;
  }

  /** The schema of one value of a field, in the proto3 JSON mapping. */
  private ObjectNode valueSchema(FieldDescriptor field) {
    return switch (field.getType()) {
      case DOUBLE -> NODES.objectNode().put("type", "number").put("format", "double");
      case FLOAT -> NODES.objectNode().put("type", "number").put("format", "float");
      case INT32, SINT32, SFIXED32 -> NODES.objectNode().put("type", "integer").put("format", "int32");
      case UINT32, FIXED32 -> NODES.objectNode().put("type", "integer").put("format", "int64").put("minimum", 0);
      case INT64, SINT64, SFIXED64 -> NODES.objectNode().put("type", "string").put("format", "int64");
      case UINT64, FIXED64 -> NODES.objectNode().put("type", "string").put("format", "uint64");
      case BOOL -> NODES.objectNode().put("type", "boolean");
      case STRING -> NODES.objectNode().put("type", "string");
      case BYTES -> NODES.objectNode().put("type", "string").put("format", "byte");
      case ENUM -> ref(field.getEnumType());
      case MESSAGE, GROUP -> ref(field.getMessageType());
    };
  }

  /** A reference to a message or enum schema (inline for well-known types whose JSON is not an object). */
  private ObjectNode ref(GenericDescriptor type) {
    ObjectNode wellKnown = wellKnown(type.getFullName());
    if (wellKnown != null) {
      return wellKnown;
    }
    if (named.add(type.getFullName())) {
      pending.add(type);
    }
    return NODES.objectNode().put("$ref", "#/components/schemas/" + type.getFullName());
  }

  private static ObjectNode wellKnown(String name) {
    return switch (name) {
      case "google.protobuf.Timestamp" -> NODES.objectNode().put("type", "string").put("format", "date-time");
      case "google.protobuf.Duration" -> NODES.objectNode().put("type", "string")
          .put("description", "A duration in seconds with up to nine fractional digits, ending in 's', e.g. 1.5s");
      case "google.protobuf.FieldMask" -> NODES.objectNode().put("type", "string")
          .put("description", "Field paths separated by commas, in lowerCamelCase, e.g. name,email");
      case "google.protobuf.Empty" -> NODES.objectNode().put("type", "object");
      case "google.protobuf.Struct" -> NODES.objectNode().put("type", "object").put("additionalProperties", true);
      case "google.protobuf.Value" -> NODES.objectNode();
      case "google.protobuf.ListValue" -> {
        ObjectNode list = NODES.objectNode().put("type", "array");
        list.putObject("items");
        yield list;
      }
      case "google.protobuf.Any" -> {
        ObjectNode any = NODES.objectNode().put("type", "object");
        any.putObject("properties").putObject("@type").put("type", "string");
        any.put("additionalProperties", true);
        any.put("description", "A message of the type its @type names, with that type's fields");
        yield any;
      }
      case "google.protobuf.DoubleValue", "google.protobuf.FloatValue" ->
          NODES.objectNode().put("type", "number").put("nullable", true);
      case "google.protobuf.Int32Value", "google.protobuf.UInt32Value" ->
          NODES.objectNode().put("type", "integer").put("nullable", true);
      case "google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.StringValue" ->
          NODES.objectNode().put("type", "string").put("nullable", true);
      case "google.protobuf.BoolValue" -> NODES.objectNode().put("type", "boolean").put("nullable", true);
      case "google.protobuf.BytesValue" -> NODES.objectNode().put("type", "string").put("format", "byte")
          .put("nullable", true);
      default -> null;
    };
  }

  private void drainSchemas() {
    while (!pending.isEmpty()) {
      GenericDescriptor type = pending.poll();
      ObjectNode schema;
      if (type instanceof EnumDescriptor enumType) {
        schema = NODES.objectNode().put("type", "string");
        ArrayNode values = schema.putArray("enum");
        StringBuilder description = new StringBuilder(api.comments().of(enumType));
        for (EnumValueDescriptor value : enumType.getValues()) {
          values.add(value.getName());
          String comment = api.comments().of(value);
          if (!comment.isEmpty()) {
            description.append(description.isEmpty() ? "" : "\n").append("- ").append(value.getName()).append(": ")
                .append(comment.replace('\n', ' '));
          }
        }
        if (!description.isEmpty()) {
          schema.put("description", description.toString());
        }
      } else {
        Descriptor message = (Descriptor) type;
        schema = messageSchema(message, Set.of());
        describe(schema, message);
      }
      schemas.set(type.getFullName(), schema);
    }
  }

  private ObjectNode sortedSchemas() {
    ObjectNode sorted = NODES.objectNode();
    List<String> names = new ArrayList<>();
    schemas.fieldNames().forEachRemaining(names::add);
    names.stream().sorted().forEach(name -> sorted.set(name, schemas.get(name)));
    return sorted;
  }

  private Descriptor typeOf(String fullName) {
    return api.json().registry().find(fullName);
  }

  private void describe(ObjectNode node, GenericDescriptor element) {
    String comment = api.comments().of(element);
    if (!comment.isEmpty()) {
      node.put("description", comment);
    }
  }

  private static Set<FieldBehavior> behaviors(FieldDescriptor field) {
    return Set.copyOf(field.getOptions().getExtension(FieldBehaviorProto.fieldBehavior));
  }
}
