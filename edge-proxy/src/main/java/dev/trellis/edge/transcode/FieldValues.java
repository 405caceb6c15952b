package dev.trellis.edge.transcode;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Base64;

/**
 * A path or query value (text) as the value of a field, by the proto3 JSON rules for that type: numbers in decimal
 * (64-bit ones too), bools as true/false, enums by name or number, bytes as base64 (standard or URL-safe), and the
 * well-known types whose JSON is one string (Timestamp, Duration, FieldMask, wrappers) in that form.
 */
final class FieldValues {
  private FieldValues() {}

  /**
   * The value for {@code builder.setField(field, ...)} or {@code addRepeatedField}.
   *
   * @throws EdgeError INVALID_ARGUMENT naming {@code name} when the text is not a value of the field's type
   */
  static Object parse(FieldDescriptor field, String text, String name, JsonCodec json) {
    try {
      return switch (field.getType()) {
        case INT32, SINT32, SFIXED32 -> Integer.parseInt(text);
        case UINT32, FIXED32 -> Integer.parseUnsignedInt(text);
        case INT64, SINT64, SFIXED64 -> Long.parseLong(text);
        case UINT64, FIXED64 -> Long.parseUnsignedLong(text);
        case DOUBLE -> parseDouble(text);
        case FLOAT -> (float) parseDouble(text);
        case BOOL -> switch (text) {
          case "true" -> true;
          case "false" -> false;
          default -> throw new IllegalArgumentException();
        };
        case STRING -> text;
        case BYTES -> ByteString.copyFrom(decodeBase64(text));
        case ENUM -> enumValue(field, text);
        case MESSAGE, GROUP -> wellKnown(field, text, json);
      };
    } catch (IllegalArgumentException e) {
      throw EdgeError.invalidArgument("INVALID_PARAMETER",
          "'" + text + "' is not a valid " + typeName(field) + " for " + name, name);
    }
  }

  private static double parseDouble(String text) {
    return switch (text) {
      case "NaN" -> Double.NaN;
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> {
        if (text.isEmpty() || !Character.isDigit(text.charAt(text.length() - 1))) {
          throw new IllegalArgumentException(); // Java would take "1d" or "1f"; JSON would not
        }
        yield Double.parseDouble(text);
      }
    };
  }

  private static byte[] decodeBase64(String text) {
    return text.indexOf('-') >= 0 || text.indexOf('_') >= 0
        ? Base64.getUrlDecoder().decode(text)
        : Base64.getDecoder().decode(text);
  }

  private static EnumValueDescriptor enumValue(FieldDescriptor field, String text) {
    EnumValueDescriptor value = field.getEnumType().findValueByName(text);
    if (value == null) {
      value = field.getEnumType().findValueByNumber(Integer.parseInt(text));
    }
    if (value == null) {
      throw new IllegalArgumentException();
    }
    return value;
  }

  private static Object wellKnown(FieldDescriptor field, String text, JsonCodec json) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(field.getMessageType());
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        quoted.append('\\');
      }
      if (c < 0x20) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    try {
      json.merge(quoted.append('"').toString(), builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e);
    }
    return builder.build();
  }

  private static String typeName(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case ENUM -> field.getEnumType().getName() + " value";
      case MESSAGE -> field.getMessageType().getName();
      default -> field.getType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
