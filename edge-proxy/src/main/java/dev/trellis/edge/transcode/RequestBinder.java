package dev.trellis.edge.transcode;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.trellis.edge.route.HttpRules;
import dev.trellis.edge.route.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the request message of a route from the HTTP request, as google/api/http.proto says: the body first (the
 * whole message for {@code body: "*"}, one field for {@code body: "field"}, nothing without a body rule), then
 * query parameters into the fields neither the path nor the body holds (repeated ones by repeating the parameter,
 * nested ones by dotted names, proto or JSON names), then the path variables, which win over anything else.
 */
public final class RequestBinder {
  private static final Pattern UNKNOWN_FIELD = Pattern.compile("Cannot find field: (\\S+) in message (\\S+)");

  private final JsonCodec json;

  public RequestBinder(JsonCodec json) {
    this.json = requireNonNull(json, "json");
  }

  /**
   * The request of {@code route}.
   *
   * @param bindings the path variables, field path to value
   * @param query the query parameters, decoded
   * @param body the body as text, or null when the request has none
   * @throws EdgeError 400 for invalid JSON, an unknown field or parameter, or a value of the wrong type
   */
  public DynamicMessage bind(Route route, Map<String, String> bindings, Map<String, List<String>> query,
      String body) {
    Descriptor type = route.method().getInputType();
    DynamicMessage.Builder request = DynamicMessage.newBuilder(type);
    if (route.hasBody() && body != null && !body.isBlank()) {
      mergeBody(route, body, request);
    }
    for (Map.Entry<String, List<String>> param : query.entrySet()) {
      List<FieldDescriptor> path = queryField(route, param.getKey());
      for (String value : param.getValue()) {
        set(request, path, 0, FieldValues.parse(path.get(path.size() - 1), value, param.getKey(), json));
      }
    }
    for (Map.Entry<String, String> binding : bindings.entrySet()) {
      List<FieldDescriptor> path = fieldPath(type, binding.getKey(), false);
      FieldDescriptor leaf = path.get(path.size() - 1);
      set(request, path, 0, FieldValues.parse(leaf, binding.getValue(), binding.getKey(), json));
    }
    DynamicMessage built = request.build();
    checkUnicode(built, "");
    return built;
  }

  /** One message of a client stream (an element of the JSON array or NDJSON body). */
  public DynamicMessage parseMessage(Descriptor type, String element) {
    DynamicMessage.Builder message = DynamicMessage.newBuilder(type);
    merge(element, message);
    DynamicMessage built = message.build();
    checkUnicode(built, "");
    return built;
  }

  /**
   * Refuses a string field holding half a surrogate pair (JSON's {@code \\ud800} escape allows it): that is no
   * Unicode text, and protobuf would send '?' in its place, silently changing what the caller sent.
   */
  private static void checkUnicode(Message message, String prefix) {
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor descriptor = field.getKey();
      if (descriptor.getJavaType() != FieldDescriptor.JavaType.STRING
          && descriptor.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      String name = prefix + descriptor.getName();
      List<?> values = descriptor.isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
      for (int i = 0; i < values.size(); i++) {
        String at = descriptor.isRepeated() ? name + "[" + i + "]" : name;
        if (values.get(i) instanceof Message nested) {
          checkUnicode(nested, at + ".");
        } else if (values.get(i) instanceof String text) {
          int bad = unpairedSurrogate(text);
          if (bad >= 0) {
            throw EdgeError.invalidArgument("INVALID_VALUE", at + ": is not valid Unicode (half a surrogate pair at"
                + " character " + (bad + 1) + ")", at);
          }
        }
      }
    }
  }

  /** The index of the first surrogate without its other half, or -1. */
  private static int unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  private void mergeBody(Route route, String body, DynamicMessage.Builder request) {
    FieldDescriptor field = route.bodyField();
    if (field == null) {
      merge(body, request);
    } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()
        && !HttpRules.isScalarLike(field.getMessageType())) {
      DynamicMessage.Builder sub = DynamicMessage.newBuilder(field.getMessageType());
      merge(body, sub);
      request.setField(field, sub.build());
    } else {
      // A repeated or scalar body field: its JSON is the body, under the field's name.
      merge("{\"" + field.getJsonName() + "\":" + body + "}", request);
    }
  }

  private void merge(String body, Message.Builder builder) {
    try {
      json.merge(body, builder);
    } catch (InvalidProtocolBufferException e) {
      throw bodyError(e);
    } catch (RuntimeException e) {
      // Gson reports some malformed input (a bare number where an object belongs) unchecked.
      throw EdgeError.invalidArgument("INVALID_JSON", "the body is not valid JSON for this request: "
          + e.getMessage(), null);
    }
  }

  private static EdgeError bodyError(InvalidProtocolBufferException e) {
    String message = String.valueOf(e.getMessage());
    Matcher unknown = UNKNOWN_FIELD.matcher(message);
    if (unknown.find()) {
      return EdgeError.invalidArgument("UNKNOWN_FIELD",
          "unknown field '" + unknown.group(1) + "' in " + unknown.group(2), unknown.group(1));
    }
    if (e.getCause() != null && e.getCause().getClass().getName().startsWith("com.google.gson")) {
      return EdgeError.invalidArgument("INVALID_JSON", "the body is not valid JSON: " + firstLine(message), null);
    }
    return EdgeError.invalidArgument("INVALID_VALUE", firstLine(message), null);
  }

  private static String firstLine(String message) {
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /** The field a query parameter names, if the route lets the query set it. */
  private List<FieldDescriptor> queryField(Route route, String name) {
    if (route.wholeBody()) {
      throw unknownParameter(name, "with this route every field travels in the body");
    }
    List<FieldDescriptor> path = fieldPath(route.method().getInputType(), name, true);
    FieldDescriptor first = path.get(0);
    if (route.bodyField() != null && first.equals(route.bodyField())) {
      throw unknownParameter(name, "'" + first.getName() + "' travels in the body");
    }
    String protoPath = protoPath(path);
    for (String bound : route.pathFields()) {
      if (protoPath.equals(bound) || protoPath.startsWith(bound + ".")) {
        throw unknownParameter(name, "'" + bound + "' is part of the path");
      }
    }
    FieldDescriptor leaf = path.get(path.size() - 1);
    if (leaf.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !HttpRules.isScalarLike(leaf.getMessageType())
        || leaf.isMapField()) {
      throw unknownParameter(name, "a message field takes its fields as parameters, such as " + name + ".x");
    }
    return path;
  }

  /** Resolves a dotted name through singular message fields; each part a proto name or (query) a JSON name. */
  private static List<FieldDescriptor> fieldPath(Descriptor type, String name, boolean query) {
    List<FieldDescriptor> path = new ArrayList<>();
    Descriptor current = type;
    String[] parts = name.split("\\.", -1);
    for (int i = 0; i < parts.length; i++) {
      FieldDescriptor field = current == null ? null : find(current, parts[i]);
      if (field == null || i < parts.length - 1 && field.isRepeated()) {
        throw query ? unknownParameter(name, "no such field in " + type.getFullName())
            : new IllegalStateException("path variable " + name + " checked at start no longer resolves");
      }
      path.add(field);
      current = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? field.getMessageType() : null;
    }
    return path;
  }

  private static FieldDescriptor find(Descriptor type, String name) {
    FieldDescriptor field = type.findFieldByName(name);
    if (field != null) {
      return field;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  private static String protoPath(List<FieldDescriptor> path) {
    StringBuilder names = new StringBuilder();
    for (FieldDescriptor field : path) {
      names.append(names.isEmpty() ? "" : ".").append(field.getName());
    }
    return names.toString();
  }

  /** Sets (or, for a repeated leaf, adds) a value at a field path, creating the messages on the way. */
  private static void set(Message.Builder builder, List<FieldDescriptor> path, int index, Object value) {
    FieldDescriptor field = path.get(index);
    if (index == path.size() - 1) {
      if (field.isRepeated()) {
        builder.addRepeatedField(field, value);
      } else {
        builder.setField(field, value);
      }
      return;
    }
    Message.Builder child = builder.hasField(field)
        ? ((Message) builder.getField(field)).toBuilder()
        : DynamicMessage.newBuilder(field.getMessageType());
    set(child, path, index + 1, value);
    builder.setField(field, child.build());
  }

  private static EdgeError unknownParameter(String name, String why) {
    return EdgeError.invalidArgument("UNKNOWN_PARAMETER", "unknown query parameter '" + name + "': " + why, name);
  }
}
