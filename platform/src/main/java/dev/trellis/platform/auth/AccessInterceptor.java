package dev.trellis.platform.auth;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.trellis.access.v1.AccessProto;
import dev.trellis.platform.error.StatusMapper;
import dev.trellis.proto.MethodAccessTable;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Lets a call through only when its method's access declaration admits the caller: the step of the chain after
 * authentication and the per-principal limit, before the handler, for every call kind. A declared role passes (a
 * service principal only when the declaration names it); anyone else gets PERMISSION_DENIED with an ErrorInfo
 * (reason {@value #ACCESS_DENIED}, metadata {@code method}, {@code roles}, {@code services}: who may call) and the
 * handler never sees the call. Object-level rules (a user acting only on itself) stay in each service's rules.
 *
 * <p>The declarations are the {@code (trellis.access.v1.access)} options of each method in its .proto, read once
 * when the server is built from the descriptors compiled into the service's stubs; a call costs a map lookup.
 * Building fails closed: a method without a declaration is refused then, naming it, so it can never be served open.
 * Health and reflection are public ({@link AuthInterceptor}) and pass. A method the server was given no permit for
 * (added behind the builder's back) is refused.
 */
public final class AccessInterceptor implements ServerInterceptor {
  /** The ErrorInfo reason of a call whose method does not admit the caller. */
  public static final String ACCESS_DENIED = "ACCESS_DENIED";

  private final Map<String, MethodPermit> permits;
  private final Supplier<Optional<Principal>> caller;

  private AccessInterceptor(Map<String, MethodPermit> permits, Supplier<Optional<Principal>> caller) {
    this.permits = permits;
    this.caller = caller;
  }

  /**
   * The step for a server of these services.
   *
   * @param declared services every method of which declares who may call it, in its .proto
   * @param undeclared services whose contract is not Trellis's and cannot declare (grpc's test services, in tests
   *     and benchmarks): any verified caller may call them
   * @param caller the verified principal of the current call, which the auth step put in the call's record (the
   *     server hands it over, so that this package needs none of the record's)
   * @throws IllegalStateException naming every method of {@code declared} whose declaration is missing or wrong,
   *     and every service of {@code undeclared} that is a Trellis contract or declares access after all
   */
  public static AccessInterceptor forServices(Collection<ServerServiceDefinition> declared,
      Collection<ServerServiceDefinition> undeclared, Supplier<Optional<Principal>> caller) {
    requireNonNull(declared, "declared");
    requireNonNull(undeclared, "undeclared");
    requireNonNull(caller, "caller");
    Map<String, MethodPermit> permits = new HashMap<>();
    List<String> problems = new ArrayList<>();
    List<ServiceDescriptor> schemas = new ArrayList<>();
    for (ServerServiceDefinition service : declared) {
      schemaOf(service).ifPresentOrElse(schemas::add, () -> problems.add(service.getServiceDescriptor().getName()
          + " has no protobuf descriptor to declare access in: add it as an undeclared service, if it may be"));
    }
    try {
      MethodAccessTable table = MethodAccessTable.of(schemas);
      for (ServerServiceDefinition service : declared) {
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
          String name = method.getMethodDescriptor().getFullMethodName();
          table.find(name).ifPresentOrElse(d -> permits.put(name, MethodPermit.of(d)),
              () -> problems.add(name + " is not in its service's descriptor, so it declares nobody who may call it"));
        }
      }
    } catch (IllegalStateException e) {
      problems.add(e.getMessage());
    }
    for (ServerServiceDefinition service : undeclared) {
      String name = service.getServiceDescriptor().getName();
      if (name.startsWith("trellis.") || schemaOf(service).map(AccessInterceptor::declaresAny).orElse(false)) {
        problems.add(name + " is a Trellis contract or declares access: add it as a declared service");
      }
      service.getMethods().forEach(m -> permits.put(m.getMethodDescriptor().getFullMethodName(),
          MethodPermit.anyCaller(m.getMethodDescriptor().getFullMethodName())));
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("cannot serve these methods, who may call them is not declared:\n  "
          + String.join("\n  ", problems));
    }
    return new AccessInterceptor(Map.copyOf(permits), caller);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    MethodPermit permit = permits.get(method);
    if (permit == null && AuthInterceptor.PUBLIC_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    Principal principal = caller.get().orElse(null);
    if (permit != null && principal != null && permit.admits(principal)) {
      return next.startCall(call, headers);
    }
    return StatusMapper.reject(call, permit == null ? MethodPermit.undeclared(method) : permit.denial());
  }

  private static Optional<ServiceDescriptor> schemaOf(ServerServiceDefinition service) {
    return service.getServiceDescriptor().getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier proto
        ? Optional.of(proto.getServiceDescriptor())
        : Optional.empty();
  }

  private static boolean declaresAny(ServiceDescriptor service) {
    return service.getMethods().stream().anyMatch(m -> m.getOptions().hasExtension(AccessProto.access));
  }
}
