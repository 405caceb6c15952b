package dev.trellis.edge.transcode;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.JsonFormat.TypeRegistry;
import com.google.rpc.ErrorDetailsProto;
import com.google.rpc.StatusProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The proto3 JSON mapping, as Envoy's transcoder prints and parses it by default: lowerCamelCase names on output
 * (input takes them and the proto names), int64 as strings, enum names, default values left out, no whitespace.
 * Unknown fields are refused. The type registry holds every message of the descriptors and the google.rpc error
 * details, so an Any (a status detail) prints as a JSON object with its "@type", never as base64 bytes.
 */
public final class JsonCodec {
  private final TypeRegistry registry;
  private final JsonFormat.Printer printer;
  private final JsonFormat.Parser parser;

  private JsonCodec(TypeRegistry registry) {
    this.registry = registry;
    this.printer = JsonFormat.printer().usingTypeRegistry(registry).omittingInsignificantWhitespace();
    this.parser = JsonFormat.parser().usingTypeRegistry(registry);
  }

  /** A codec knowing the messages of these files (and their imports) and the google.rpc details. */
  public static JsonCodec of(List<FileDescriptor> files) {
    requireNonNull(files, "files");
    TypeRegistry.Builder registry = TypeRegistry.newBuilder();
    for (FileDescriptor file : files) {
      registry.add(file.getMessageTypes());
    }
    registry.add(ErrorDetailsProto.getDescriptor().getMessageTypes());
    registry.add(StatusProto.getDescriptor().getMessageTypes());
    return new JsonCodec(registry.build());
  }

  public TypeRegistry registry() {
    return registry;
  }

  /** Appends the JSON of {@code message} to {@code out}. */
  public void print(MessageOrBuilder message, Appendable out) {
    try {
      printer.appendTo(message, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringBuilder does not throw
    }
  }

  public String print(MessageOrBuilder message) {
    StringBuilder out = new StringBuilder();
    print(message, out);
    return out.toString();
  }

  /**
   * Merges {@code json} into {@code builder}.
   *
   * @throws InvalidProtocolBufferException for invalid JSON, an unknown field or a value of the wrong type
   */
  public void merge(String json, Message.Builder builder) throws InvalidProtocolBufferException {
    parser.merge(json, builder);
  }

  /** Whether {@code type} is one this codec can print inside an Any. */
  public boolean knows(Descriptor type) {
    return registry.find(type.getFullName()) != null;
  }
}
