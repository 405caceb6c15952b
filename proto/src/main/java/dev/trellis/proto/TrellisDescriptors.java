package dev.trellis.proto;

import com.google.api.AnnotationsProto;
import com.google.api.FieldBehaviorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionRegistry;
import dev.trellis.access.v1.AccessProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The descriptor set built from proto/ (with imports and comments), as packaged in this jar. The edge transcoder,
 * the Envoy config and the contract tests read the API from here instead of retyping it.
 */
public final class TrellisDescriptors {
  /** Classpath location of the FileDescriptorSet written by protoc at build time. */
  public static final String RESOURCE = "/dev/trellis/proto/trellis.binpb";

  private static final List<String> TRELLIS_PACKAGE_PREFIXES = List.of("trellis.");

  private final FileDescriptorSet set;
  private final Map<String, FileDescriptor> files;

  private TrellisDescriptors(FileDescriptorSet set, Map<String, FileDescriptor> files) {
    this.set = set;
    this.files = files;
  }

  /**
   * Loads the packaged descriptor set; google.api.http, field_behavior and trellis.access.v1.access options are
   * parsed as extensions.
   */
  public static TrellisDescriptors load() {
    try (InputStream in = TrellisDescriptors.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath; build the proto module first");
      }
      return fromBytes(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds the descriptors of a serialized FileDescriptorSet that holds every import it needs. */
  public static TrellisDescriptors fromBytes(byte[] bytes) throws IOException {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    FieldBehaviorProto.registerAllExtensions(registry);
    AccessProto.registerAllExtensions(registry);
    FileDescriptorSet set = FileDescriptorSet.parseFrom(bytes, registry);
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    set.getFileList().forEach(f -> protos.put(f.getName(), f));
    Map<String, FileDescriptor> built = new HashMap<>();
    for (FileDescriptorProto file : set.getFileList()) {
      build(file.getName(), protos, built);
    }
    return new TrellisDescriptors(set, built);
  }

  private static FileDescriptor build(
      String name, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> built) {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new IllegalArgumentException("descriptor set lacks the import " + name);
    }
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep, protos, built));
    }
    try {
      FileDescriptor file = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
      built.put(name, file);
      return file;
    } catch (DescriptorValidationException e) {
      throw new IllegalArgumentException("invalid descriptor " + name + ": " + e.getMessage(), e);
    }
  }

  /** The raw set, as Envoy's grpc_json_transcoder and server reflection want it. */
  public FileDescriptorSet fileDescriptorSet() {
    return set;
  }

  /** Every file of the set, its imports included, in the set's order. */
  public List<FileDescriptor> files() {
    return set.getFileList().stream().map(f -> files.get(f.getName())).toList();
  }

  /** Every Trellis service (package trellis.*), in file order. */
  public List<ServiceDescriptor> services() {
    List<ServiceDescriptor> services = new ArrayList<>();
    for (FileDescriptorProto proto : set.getFileList()) {
      FileDescriptor file = files.get(proto.getName());
      if (TRELLIS_PACKAGE_PREFIXES.stream().anyMatch(file.getPackage()::startsWith)) {
        services.addAll(file.getServices());
      }
    }
    return services;
  }

  /** A service by its full name, such as {@code trellis.user.v1.UserService}. */
  public Optional<ServiceDescriptor> service(String fullName) {
    return services().stream().filter(s -> s.getFullName().equals(fullName)).findFirst();
  }
}
