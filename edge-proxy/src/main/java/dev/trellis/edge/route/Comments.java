package dev.trellis.edge.route;

import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The leading comments of the contracts (kept in the descriptor set's source info), by element full name: the
 * documentation of the API, for OpenAPI descriptions and for deprecation dates.
 */
public final class Comments {
  // Field numbers of FileDescriptorProto, DescriptorProto, EnumDescriptorProto and ServiceDescriptorProto.
  private static final int FILE_MESSAGE = 4;
  private static final int FILE_ENUM = 5;
  private static final int FILE_SERVICE = 6;
  private static final int MESSAGE_FIELD = 2;
  private static final int MESSAGE_NESTED = 3;
  private static final int MESSAGE_ENUM = 4;
  private static final int ENUM_VALUE = 2;
  private static final int SERVICE_METHOD = 2;

  private final Map<String, String> byName = new HashMap<>();

  public Comments(List<FileDescriptor> files) {
    for (FileDescriptor file : files) {
      SourceCodeInfo info = file.toProto().getSourceCodeInfo();
      for (SourceCodeInfo.Location location : info.getLocationList()) {
        String comment = location.getLeadingComments().strip();
        if (comment.isEmpty()) {
          continue;
        }
        GenericDescriptor element = resolve(file, location.getPathList());
        if (element != null) {
          byName.put(element.getFullName(), clean(comment));
        }
      }
    }
  }

  /** The comment of an element, or an empty string. */
  public String of(GenericDescriptor element) {
    return byName.getOrDefault(element.getFullName(), "");
  }

  private static String clean(String comment) {
    StringBuilder out = new StringBuilder();
    for (String line : comment.split("\n")) {
      out.append(out.isEmpty() ? "" : "\n").append(line.strip());
    }
    return out.toString();
  }

  private static GenericDescriptor resolve(FileDescriptor file, List<Integer> path) {
    if (path.size() < 2) {
      return null;
    }
    int index = path.get(1);
    return switch (path.get(0)) {
      case FILE_MESSAGE -> index < file.getMessageTypes().size()
          ? inMessage(file.getMessageTypes().get(index), path, 2) : null;
      case FILE_ENUM -> index < file.getEnumTypes().size() ? inEnum(file.getEnumTypes().get(index), path, 2) : null;
      case FILE_SERVICE -> index < file.getServices().size()
          ? inService(file.getServices().get(index), path, 2) : null;
      default -> null;
    };
  }

  private static GenericDescriptor inMessage(Descriptor message, List<Integer> path, int at) {
    if (path.size() == at) {
      return message;
    }
    if (path.size() < at + 2) {
      return null;
    }
    int index = path.get(at + 1);
    return switch (path.get(at)) {
      case MESSAGE_FIELD -> path.size() == at + 2 && index < message.getFields().size()
          ? message.getFields().get(index) : null;
      case MESSAGE_NESTED -> index < message.getNestedTypes().size()
          ? inMessage(message.getNestedTypes().get(index), path, at + 2) : null;
      case MESSAGE_ENUM -> index < message.getEnumTypes().size()
          ? inEnum(message.getEnumTypes().get(index), path, at + 2) : null;
      default -> null;
    };
  }

  private static GenericDescriptor inEnum(EnumDescriptor type, List<Integer> path, int at) {
    if (path.size() == at) {
      return type;
    }
    return path.size() == at + 2 && path.get(at) == ENUM_VALUE && path.get(at + 1) < type.getValues().size()
        ? type.getValues().get(path.get(at + 1)) : null;
  }

  private static GenericDescriptor inService(ServiceDescriptor service, List<Integer> path, int at) {
    if (path.size() == at) {
      return service;
    }
    return path.size() == at + 2 && path.get(at) == SERVICE_METHOD && path.get(at + 1) < service.getMethods().size()
        ? service.getMethods().get(path.get(at + 1)) : null;
  }
}
