package dev.trellis.edge.route;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the google.api.http option of each RPC into routes, and checks each against the messages: a path variable
 * must name a singular non-message field (nested through singular messages), {@code body} a top-level request field
 * and {@code response_body} a top-level response field. A wrong rule stops the edge at start, naming the RPC.
 */
public final class HttpRules {
  private HttpRules() {}

  /** The routes of every RPC of these services that has an http rule, additional bindings included. */
  public static List<Route> routes(List<ServiceDescriptor> services) {
    List<Route> routes = new ArrayList<>();
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor method : service.getMethods()) {
        routes.addAll(routes(method));
      }
    }
    return routes;
  }

  /** Whether the RPC has an http rule. */
  public static boolean hasRule(MethodDescriptor method) {
    return method.getOptions().hasExtension(AnnotationsProto.http);
  }

  /** The routes of one RPC: none without an http rule. */
  public static List<Route> routes(MethodDescriptor method) {
    if (!hasRule(method)) {
      return List.of();
    }
    HttpRule rule = method.getOptions().getExtension(AnnotationsProto.http);
    List<Route> routes = new ArrayList<>();
    routes.add(route(method, rule, 0));
    for (int i = 0; i < rule.getAdditionalBindingsCount(); i++) {
      HttpRule binding = rule.getAdditionalBindings(i);
      if (binding.getAdditionalBindingsCount() > 0) {
        throw invalid(method, "additional_bindings must not nest");
      }
      routes.add(route(method, binding, i + 1));
    }
    return routes;
  }

  private static Route route(MethodDescriptor method, HttpRule rule, int binding) {
    String httpMethod;
    String path;
    switch (rule.getPatternCase()) {
      case GET -> { httpMethod = "GET"; path = rule.getGet(); }
      case PUT -> { httpMethod = "PUT"; path = rule.getPut(); }
      case POST -> { httpMethod = "POST"; path = rule.getPost(); }
      case DELETE -> { httpMethod = "DELETE"; path = rule.getDelete(); }
      case PATCH -> { httpMethod = "PATCH"; path = rule.getPatch(); }
      case CUSTOM -> {
        httpMethod = rule.getCustom().getKind().toUpperCase(Locale.ROOT);
        path = rule.getCustom().getPath();
      }
      default -> throw invalid(method, "the http rule has no pattern");
    }
    PathTemplate template;
    try {
      template = PathTemplate.parse(path);
    } catch (IllegalArgumentException e) {
      throw invalid(method, e.getMessage());
    }
    for (PathTemplate.Variable variable : template.variables()) {
      FieldDescriptor field = resolve(method.getInputType(), variable.fieldPath(), method);
      if (field.isRepeated() || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && !isScalarLike(field.getMessageType())) {
        throw invalid(method, "path variable '" + variable.fieldPath() + "' must be a singular scalar field");
      }
    }
    String body = rule.getBody();
    if (!body.isEmpty() && !body.equals("*") && method.getInputType().findFieldByName(body) == null) {
      throw invalid(method, "body '" + body + "' is not a field of " + method.getInputType().getFullName());
    }
    if (method.isClientStreaming() && !body.equals("*")) {
      throw invalid(method, "a client-streaming RPC needs body: \"*\" (its messages are the body)");
    }
    String responseBody = rule.getResponseBody();
    if (!responseBody.isEmpty() && method.getOutputType().findFieldByName(responseBody) == null) {
      throw invalid(method, "response_body '" + responseBody + "' is not a field of "
          + method.getOutputType().getFullName());
    }
    return new Route(method, httpMethod, template, body, responseBody, binding);
  }

  /** A field by dotted path through singular message fields; the path's names are proto names. */
  public static FieldDescriptor resolve(Descriptor message, String fieldPath, MethodDescriptor method) {
    Descriptor current = message;
    FieldDescriptor field = null;
    String[] names = fieldPath.split("\\.");
    for (int i = 0; i < names.length; i++) {
      String name = names[i];
      if (current == null) {
        throw invalid(method, "'" + fieldPath + "' goes through a field that is not a message");
      }
      field = current.findFieldByName(name);
      if (field == null) {
        throw invalid(method, "'" + fieldPath + "' is not a field of " + message.getFullName());
      }
      if (field.isRepeated() && i < names.length - 1) {
        throw invalid(method, "'" + fieldPath + "' goes through a repeated field");
      }
      current = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? field.getMessageType() : null;
    }
    return field;
  }

  /** Well-known types whose JSON form is one string or number (a wrapper, Timestamp, Duration, FieldMask). */
  public static boolean isScalarLike(Descriptor type) {
    return switch (type.getFullName()) {
      case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
          "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
          "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
          "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue" -> true;
      default -> false;
    };
  }

  private static IllegalArgumentException invalid(MethodDescriptor method, String why) {
    return new IllegalArgumentException("http rule of " + method.getFullName() + ": " + why);
  }
}
