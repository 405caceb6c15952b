package dev.trellis.edge.http;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CORS for browser callers (REST and gRPC-Web), from configuration and off by default: with no allowed origins the
 * edge adds no CORS headers, so browsers keep other origins out. A preflight from an allowed origin is answered
 * here; every response to an allowed origin names that origin and exposes the headers it carries (grpc-status,
 * x-request-id, Retry-After, Deprecation, the service's own such as x-next-page-token).
 */
final class Cors {
  static final String ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";
  static final String ALLOWED_HEADERS = "authorization, content-type, x-request-id, idempotency-key, traceparent, "
      + "tracestate, grpc-timeout, x-grpc-web, x-user-agent";
  private static final Set<String> SAFELISTED = Set.of("cache-control", "content-language", "content-length",
      "content-type", "expires", "last-modified", "pragma", "vary");

  private final Set<String> origins;
  private final boolean anyOrigin;

  Cors(List<String> origins) {
    this.origins = Set.copyOf(requireNonNull(origins, "origins"));
    this.anyOrigin = this.origins.contains("*");
  }

  boolean enabled() {
    return !origins.isEmpty();
  }

  /** Whether the request comes from a page of an allowed origin. */
  boolean allows(HttpHeaders headers) {
    String origin = headers.get("origin");
    return origin != null && enabled() && (anyOrigin || origins.contains(origin));
  }

  /** A CORS preflight: OPTIONS with an Origin and Access-Control-Request-Method. */
  static boolean isPreflight(HttpRequest request) {
    return request.method().equals(HttpMethod.OPTIONS) && request.headers().contains("origin")
        && request.headers().contains("access-control-request-method");
  }

  /** The headers of the answer to an allowed preflight. */
  void preflight(HttpHeaders request, HttpHeaders response) {
    response.set("access-control-allow-origin", anyOrigin ? "*" : request.get("origin"));
    response.set("access-control-allow-methods", ALLOWED_METHODS);
    response.set("access-control-allow-headers", ALLOWED_HEADERS);
    response.set("access-control-max-age", "600");
    if (!anyOrigin) {
      response.set("vary", "Origin");
    }
  }

  /** Adds the CORS headers of an actual response, when the request's origin is allowed. */
  void decorate(HttpHeaders request, HttpHeaders response) {
    if (!allows(request)) {
      return;
    }
    response.set("access-control-allow-origin", anyOrigin ? "*" : request.get("origin"));
    if (!anyOrigin) {
      response.set("vary", "Origin");
    }
    Set<String> exposed = new LinkedHashSet<>(List.of("grpc-status", "grpc-message"));
    for (String name : response.names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!SAFELISTED.contains(lower) && !lower.startsWith("access-control-")) {
        exposed.add(lower);
      }
    }
    response.set("access-control-expose-headers", String.join(", ", exposed));
  }
}
