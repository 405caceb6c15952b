package dev.trellis.platform.auth;

import dev.trellis.platform.error.PermissionDeniedException;
import dev.trellis.proto.AccessDeclaration;
import java.util.Map;
import java.util.Set;

/**
 * Who may call one method, as its access declaration says, in the form the auth step checks on every call: a
 * service principal (role {@code service}) passes when its name is among the declared services, whatever other roles
 * it holds; any other caller when one of its roles is declared. The refusal is made once, here, not per call.
 */
final class MethodPermit {
  private final Set<String> roles;
  private final Set<String> services;
  private final boolean anyCaller;
  private final PermissionDeniedException denial;

  private MethodPermit(Set<String> roles, Set<String> services, boolean anyCaller,
      PermissionDeniedException denial) {
    this.roles = roles;
    this.services = services;
    this.anyCaller = anyCaller;
    this.denial = denial;
  }

  /** The permit of a declared method. */
  static MethodPermit of(AccessDeclaration declaration) {
    String roles = String.join(",", declaration.roles());
    String services = String.join(",", declaration.services());
    String message = declaration.fullMethodName() + " is for "
        + (roles.isEmpty() ? "no end user" : "role " + String.join(", ", declaration.roles()))
        + (services.isEmpty() ? "; no service may call it" : " and the services " + String.join(", ",
            declaration.services()));
    return new MethodPermit(Set.copyOf(declaration.roles()), Set.copyOf(declaration.services()), false,
        denial(declaration.fullMethodName(), roles, services, message));
  }

  /** The permit of a method whose contract declares nothing (a test service): any verified caller. */
  static MethodPermit anyCaller(String fullMethodName) {
    return new MethodPermit(Set.of(), Set.of(), true,
        denial(fullMethodName, "", "", fullMethodName + " needs a caller identity"));
  }

  /** The refusal of a method the server has no permit for: nobody may call it. */
  static PermissionDeniedException undeclared(String fullMethodName) {
    return denial(fullMethodName, "", "", fullMethodName + " declares nobody who may call it");
  }

  boolean admits(Principal caller) {
    if (anyCaller) {
      return true;
    }
    if (caller.isService()) {
      return services.contains(caller.subject());
    }
    for (String role : caller.roles()) {
      if (roles.contains(role)) {
        return true;
      }
    }
    return false;
  }

  PermissionDeniedException denial() {
    return denial;
  }

  private static PermissionDeniedException denial(String method, String roles, String services, String message) {
    return new PermissionDeniedException(AccessInterceptor.ACCESS_DENIED, message,
        Map.of("method", method, "roles", roles, "services", services));
  }
}
