package dev.trellis.edge.http;

import io.opentelemetry.context.Context;

/** What the access log and the span say about one request; filled in as the request is routed. */
final class RequestRecord {
  private final String method;
  private final String path;
  private final String peer;
  private final String protocol;
  private final String requestId;
  private final long startNanos = System.nanoTime();
  private final Context trace;
  private String route;
  private String rpc;

  RequestRecord(String method, String path, String peer, String protocol, String requestId, Context trace) {
    this.method = method;
    this.path = path;
    this.peer = peer;
    this.protocol = protocol;
    this.requestId = requestId;
    this.trace = trace;
  }

  void routed(String route, String rpc) {
    this.route = route;
    this.rpc = rpc;
  }

  String method() {
    return method;
  }

  String path() {
    return path;
  }

  String peer() {
    return peer;
  }

  String protocol() {
    return protocol;
  }

  String requestId() {
    return requestId;
  }

  long startNanos() {
    return startNanos;
  }

  /** The OpenTelemetry context holding the edge's server span (the root context when not tracing). */
  Context trace() {
    return trace;
  }

  String route() {
    return route;
  }

  String rpc() {
    return rpc;
  }
}
