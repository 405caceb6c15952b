package dev.trellis.edge;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.trellis.edge.route.Comments;
import dev.trellis.edge.route.Deprecations;
import dev.trellis.edge.route.HttpRules;
import dev.trellis.edge.route.RouteTable;
import dev.trellis.edge.transcode.JsonCodec;
import dev.trellis.edge.transcode.RequestBinder;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.proto.TrellisDescriptors;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The API the edge serves, all of it derived from the descriptors at start: the services that have an upstream,
 * their REST routes (from google.api.http), their RPCs by gRPC name (for gRPC-Web), the JSON codec, comments and
 * deprecations. Adding an RPC with an http rule to a .proto changes what this holds, not the edge's code.
 */
public final class EdgeApi {
  private final List<ServiceDescriptor> services;
  private final RouteTable routes;
  private final Map<String, MethodDescriptor> methods = new HashMap<>();
  private final JsonCodec json;
  private final RequestBinder binder;
  private final Comments comments;
  private final Deprecations deprecations;

  private EdgeApi(List<ServiceDescriptor> services) {
    this.services = List.copyOf(services);
    Set<FileDescriptor> files = new LinkedHashSet<>();
    for (ServiceDescriptor service : services) {
      files.add(service.getFile());
      for (MethodDescriptor method : service.getMethods()) {
        methods.put(service.getFullName() + "/" + method.getName(), method);
      }
    }
    this.routes = new RouteTable(HttpRules.routes(services));
    this.json = JsonCodec.of(List.copyOf(files));
    this.binder = new RequestBinder(json);
    this.comments = new Comments(List.copyOf(files));
    this.deprecations = new Deprecations(comments);
  }

  /**
   * The API of the services named in {@code served}, from {@code descriptors}.
   *
   * @throws ConfigException when a served service is not in the descriptors, or an http rule is invalid
   */
  public static EdgeApi of(TrellisDescriptors descriptors, Collection<String> served) {
    requireNonNull(descriptors, "descriptors");
    List<ServiceDescriptor> services = new ArrayList<>();
    for (String name : served) {
      Optional<ServiceDescriptor> service = descriptors.service(name);
      if (service.isEmpty()) {
        throw new ConfigException(EdgeSettings.UPSTREAMS + " names " + name + ", which the descriptors lack; they have "
            + descriptors.services().stream().map(ServiceDescriptor::getFullName).toList());
      }
      services.add(service.get());
    }
    try {
      return new EdgeApi(services);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  public List<ServiceDescriptor> services() {
    return services;
  }

  public RouteTable routes() {
    return routes;
  }

  /** An RPC by its gRPC path without the leading slash ({@code trellis.user.v1.UserService/GetUser}). */
  public Optional<MethodDescriptor> method(String grpcName) {
    return Optional.ofNullable(methods.get(grpcName));
  }

  public JsonCodec json() {
    return json;
  }

  public RequestBinder binder() {
    return binder;
  }

  public Comments comments() {
    return comments;
  }

  public Deprecations deprecations() {
    return deprecations;
  }
}
