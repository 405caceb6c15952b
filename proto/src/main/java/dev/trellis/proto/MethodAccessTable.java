package dev.trellis.proto;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.trellis.access.v1.AccessProto;
import dev.trellis.access.v1.MethodAccess;
import dev.trellis.access.v1.Role;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The access declarations of every RPC of every Trellis service, keyed by gRPC full method name
 * ({@code trellis.user.v1.UserService/GetUser}), in descriptor order. The auth step of the interceptor chain, the
 * chart's AuthorizationPolicies and the docs all read them from here.
 *
 * <p>Building the table checks the declarations: every RPC has one, it lets someone call, an owner field names an
 * int64 field of the request, and service names are service account names. A broken declaration fails the build's
 * tests instead of opening or closing a method by accident at run time.
 */
public final class MethodAccessTable {
  /** A Kubernetes service account name (an RFC 1123 label), which is what a service's identity is. */
  private static final Pattern SERVICE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private final Map<String, AccessDeclaration> declarations;

  private MethodAccessTable(Map<String, AccessDeclaration> declarations) {
    this.declarations = declarations;
  }

  /** The table of the packaged contracts. */
  public static MethodAccessTable load() {
    return of(TrellisDescriptors.load());
  }

  /**
   * The table of the given contracts.
   *
   * @throws IllegalStateException naming every RPC whose declaration is missing or wrong
   */
  public static MethodAccessTable of(TrellisDescriptors descriptors) {
    return of(requireNonNull(descriptors, "descriptors").services());
  }

  /**
   * The table of the given services, every method of which must declare who may call it: what a server checks
   * before it serves them.
   *
   * @throws IllegalStateException naming every method whose declaration is missing or wrong
   */
  public static MethodAccessTable of(Collection<ServiceDescriptor> services) {
    requireNonNull(services, "services");
    Map<String, AccessDeclaration> declarations = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor method : service.getMethods()) {
        if (!method.getOptions().hasExtension(AccessProto.access)) {
          problems.add(fullMethodName(method) + " has no (trellis.access.v1.access) option: declare who may call it");
          continue;
        }
        read(method, problems).ifPresent(d -> declarations.put(d.fullMethodName(), d));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("access declarations are incomplete:\n  " + String.join("\n  ", problems));
    }
    return new MethodAccessTable(declarations);
  }

  /**
   * The declaration of one method, read from its options and checked as {@link #of(Collection)} checks it; empty
   * when the method declares nothing (a contract that is not Trellis's, such as a test service).
   *
   * @throws IllegalStateException when the method's declaration is wrong
   */
  public static Optional<AccessDeclaration> declarationOf(MethodDescriptor method) {
    requireNonNull(method, "method");
    if (!method.getOptions().hasExtension(AccessProto.access)) {
      return Optional.empty();
    }
    List<String> problems = new ArrayList<>();
    Optional<AccessDeclaration> declaration = read(method, problems);
    if (!problems.isEmpty()) {
      throw new IllegalStateException("access declaration is wrong: " + String.join("; ", problems));
    }
    return declaration;
  }

  /** The method's declaration, or empty with what is wrong with it added to {@code problems}. */
  private static Optional<AccessDeclaration> read(MethodDescriptor method, List<String> problems) {
    String name = fullMethodName(method);
    MethodAccess access = method.getOptions().getExtension(AccessProto.access);
    int before = problems.size();
    check(name, method.getInputType(), access, problems);
    return problems.size() == before ? Optional.of(declaration(name, access)) : Optional.empty();
  }

  /** The gRPC full method name of a method, {@code trellis.user.v1.UserService/GetUser}. */
  public static String fullMethodName(MethodDescriptor method) {
    return method.getService().getFullName() + "/" + method.getName();
  }

  /** The declaration of a method by gRPC full method name, {@code trellis.user.v1.UserService/GetUser}. */
  public Optional<AccessDeclaration> find(String fullMethodName) {
    return Optional.ofNullable(declarations.get(requireNonNull(fullMethodName, "fullMethodName")));
  }

  /** Every declaration, in descriptor order (services in file order, methods as declared). */
  public Collection<AccessDeclaration> all() {
    return declarations.values();
  }

  /** The declarations of one service, {@code trellis.user.v1.UserService}, in declaration order. */
  public List<AccessDeclaration> ofService(String serviceFullName) {
    requireNonNull(serviceFullName, "serviceFullName");
    return declarations.values().stream().filter(d -> d.serviceName().equals(serviceFullName)).toList();
  }

  /** The JWT claim value of a role: ROLE_ADMIN is "admin". */
  public static String claimValue(Role role) {
    return role.name().substring("ROLE_".length()).toLowerCase(Locale.ROOT);
  }

  private static AccessDeclaration declaration(String name, MethodAccess access) {
    List<String> roles = access.getRolesList().stream().map(MethodAccessTable::claimValue).toList();
    Optional<String> ownerField =
        access.getOwnerField().isEmpty() ? Optional.empty() : Optional.of(access.getOwnerField());
    return new AccessDeclaration(name, roles, access.getOwnerOnly(), ownerField, access.getServicesList());
  }

  private static void check(String name, Descriptor request, MethodAccess access, List<String> problems) {
    if (access.getRolesCount() == 0 && access.getServicesCount() == 0) {
      problems.add(name + " lets nobody call: declare roles or services");
    }
    for (Role role : access.getRolesList()) {
      if (role == Role.ROLE_UNSPECIFIED || role == Role.UNRECOGNIZED) {
        problems.add(name + " declares the role " + role + ": use ROLE_USER or ROLE_ADMIN");
      }
    }
    if (access.getRolesList().stream().distinct().count() != access.getRolesCount()) {
      problems.add(name + " declares a role twice");
    }
    if (access.getOwnerOnly() && !access.getRolesList().contains(Role.ROLE_USER)) {
      problems.add(name + " is owner_only but ROLE_USER may not call it: drop owner_only or add ROLE_USER");
    }
    if (!access.getOwnerField().isEmpty()) {
      if (!access.getOwnerOnly()) {
        problems.add(name + " names owner_field " + access.getOwnerField() + " without owner_only");
      }
      FieldDescriptor field = request.findFieldByName(access.getOwnerField());
      if (field == null) {
        problems.add(name + " names owner_field " + access.getOwnerField() + ", which " + request.getFullName()
            + " does not have");
      } else if (field.getType() != FieldDescriptor.Type.INT64) {
        problems.add(name + " names owner_field " + access.getOwnerField() + ", which is not an int64 user id");
      }
    }
    for (String service : access.getServicesList()) {
      if (!SERVICE_NAME.matcher(service).matches()) {
        problems.add(name + " names the service '" + service + "', which is not a service account name");
      }
    }
    if (access.getServicesList().stream().distinct().count() != access.getServicesCount()) {
      problems.add(name + " names a service twice");
    }
  }
}
