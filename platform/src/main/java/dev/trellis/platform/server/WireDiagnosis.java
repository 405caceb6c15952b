package dev.trellis.platform.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.trellis.platform.error.FieldViolation;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Says which field of a request could not be parsed, for the BadRequest of a malformed message: protobuf's own
 * exception only says what went wrong ("invalid UTF-8"), not where. It walks the wire format field by field against
 * the request's descriptor and reports the first field that is cut short, malformed, or a string that is not
 * UTF-8, by its path ({@code email}, {@code user.name}, {@code roles[2]}). Only called for bytes that failed to
 * parse, so its cost is the bad request's own.
 */
final class WireDiagnosis {
  private static final int MAX_DEPTH = 32;

  private WireDiagnosis() {}

  /** The violation to report for {@code bytes} that did not parse as {@code type} (null: a lite message). */
  static FieldViolation explain(Descriptor type, byte[] bytes) {
    String name = type == null ? "request" : type.getFullName();
    if (type != null && bytes != null) {
      try {
        FieldViolation found = walk(type, CodedInputStream.newInstance(bytes), "", 0);
        if (found != null) {
          return found;
        }
      } catch (IOException | RuntimeException e) {
        // fall through to the general answer
      }
    }
    return new FieldViolation("", "the request is not a valid " + name + " message");
  }

  private static FieldViolation walk(Descriptor type, CodedInputStream in, String prefix, int depth)
      throws IOException {
    Map<Integer, Integer> seen = new HashMap<>();
    String here = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    while (!in.isAtEnd()) {
      int tag;
      try {
        tag = in.readTag();
      } catch (InvalidProtocolBufferException e) {
        return new FieldViolation(here, "holds a malformed field tag");
      }
      int number = WireFormat.getTagFieldNumber(tag);
      FieldDescriptor field = type.findFieldByNumber(number);
      String path;
      if (field == null) {
        path = here;
      } else if (field.isRepeated()) {
        int index = seen.merge(number, 1, Integer::sum) - 1;
        path = prefix + field.getName() + "[" + index + "]";
      } else {
        path = prefix + field.getName();
      }
      String what = field == null ? "holds an unknown field " + number + " that " : "";
      try {
        switch (WireFormat.getTagWireType(tag)) {
          case WireFormat.WIRETYPE_VARINT -> in.readRawVarint64();
          case WireFormat.WIRETYPE_FIXED64 -> in.readRawLittleEndian64();
          case WireFormat.WIRETYPE_FIXED32 -> in.readRawLittleEndian32();
          case WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
            ByteString value = in.readBytes();
            if (field != null && field.getType() == FieldDescriptor.Type.STRING && !value.isValidUtf8()) {
              return new FieldViolation(path, "is not valid UTF-8");
            }
            if (field != null && field.getType() == FieldDescriptor.Type.MESSAGE && depth < MAX_DEPTH) {
              FieldViolation inner = walk(field.getMessageType(), value.newCodedInput(), path + ".", depth + 1);
              if (inner != null) {
                return inner;
              }
            }
            if (field != null && field.isPackable() && !packedIsWhole(field, value)) {
              return new FieldViolation(path, "is a malformed packed list");
            }
          }
          case WireFormat.WIRETYPE_START_GROUP -> in.skipField(tag);
          default -> {
            return new FieldViolation(field == null ? here : path, what + "has an invalid wire type");
          }
        }
      } catch (InvalidProtocolBufferException e) {
        return new FieldViolation(field == null ? here : path, what + "is cut short or malformed");
      }
    }
    return null;
  }

  private static boolean packedIsWhole(FieldDescriptor field, ByteString value) throws IOException {
    CodedInputStream in = value.newCodedInput();
    try {
      while (!in.isAtEnd()) {
        switch (field.getLiteType().getWireType()) {
          case WireFormat.WIRETYPE_VARINT -> in.readRawVarint64();
          case WireFormat.WIRETYPE_FIXED64 -> in.readRawLittleEndian64();
          case WireFormat.WIRETYPE_FIXED32 -> in.readRawLittleEndian32();
          default -> {
            return true;
          }
        }
      }
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }
}
