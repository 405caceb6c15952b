package dev.trellis.conformance;

import static java.util.Objects.requireNonNull;

/**
 * One conformance case: its interop name (grpc's interop test names where one applies, {@code rest_*} for the edge),
 * the RPC it uses, where, and what it does. The body throws on a failure and returns what it saw on a pass.
 *
 * @param name the interop name, such as {@code large_unary}
 * @param rpc the RPC or route it used, such as {@code OrderService/CreateOrder}
 * @param target what it ran against, such as {@code user-service}
 * @param body the case
 */
public record InteropCase(String name, String rpc, String target, Body body) {
  public InteropCase {
    requireNonNull(name, "name");
    requireNonNull(rpc, "rpc");
    requireNonNull(target, "target");
    requireNonNull(body, "body");
  }

  /** A case's work: returns a short note of what it saw, or throws (a {@link CaseFailure}, or any exception). */
  @FunctionalInterface
  public interface Body {
    String run() throws Exception;
  }
}
