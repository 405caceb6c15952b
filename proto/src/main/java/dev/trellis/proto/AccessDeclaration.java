package dev.trellis.proto;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * Who may call one RPC, as its {@code (trellis.access.v1.access)} option declares it; see access.proto for the
 * meaning of each part. Read from the descriptors by {@link MethodAccessTable}, never typed by hand.
 *
 * @param fullMethodName the gRPC full method name, {@code trellis.user.v1.UserService/GetUser}
 * @param roles the end-user roles (JWT {@code roles} claim values: "user", "admin") that may call, as declared
 * @param ownerOnly whether a caller without the admin role must own what the call touches
 * @param ownerField the request field holding the owner's user id, when the request names it
 * @param services the services (service account names) that may call on their own behalf, as declared
 */
public record AccessDeclaration(
    String fullMethodName, List<String> roles, boolean ownerOnly, Optional<String> ownerField,
    List<String> services) {
  public AccessDeclaration {
    requireNonNull(fullMethodName, "fullMethodName");
    roles = List.copyOf(requireNonNull(roles, "roles"));
    requireNonNull(ownerField, "ownerField");
    services = List.copyOf(requireNonNull(services, "services"));
  }

  /** The HTTP/2 {@code :path} of the method, as Envoy and Istio match it: {@code /pkg.Service/Method}. */
  public String path() {
    return "/" + fullMethodName;
  }

  /** The full name of the service, {@code trellis.user.v1.UserService}. */
  public String serviceName() {
    return fullMethodName.substring(0, fullMethodName.indexOf('/'));
  }

  /** The method's simple name, {@code GetUser}. */
  public String methodName() {
    return fullMethodName.substring(fullMethodName.indexOf('/') + 1);
  }

  public boolean allowsRole(String role) {
    return roles.contains(requireNonNull(role, "role"));
  }

  public boolean allowsService(String serviceAccount) {
    return services.contains(requireNonNull(serviceAccount, "serviceAccount"));
  }

  /** What ownership the call needs, for docs: the owner field, "read from the resource", or "-". */
  public String ownerText() {
    if (!ownerOnly) {
      return "-";
    }
    return ownerField.map(field -> "`" + field + "`").orElse("checked once the resource is read");
  }
}
