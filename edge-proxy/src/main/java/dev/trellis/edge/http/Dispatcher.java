package dev.trellis.edge.http;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.rpc.Status;
import dev.trellis.edge.EdgeApi;
import dev.trellis.edge.EdgeSettings;
import dev.trellis.edge.Upstreams;
import dev.trellis.edge.route.RouteTable;
import dev.trellis.edge.transcode.EdgeError;
import dev.trellis.platform.ratelimit.CidrBlock;
import dev.trellis.platform.server.TrellisEdge;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.opentelemetry.context.Context;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what answers a request, from its head: a CORS preflight, the health endpoint, the OpenAPI document, a
 * gRPC-Web call (by content type), a REST route, or an error (404 for an unknown path, 405 with Allow for a known
 * path and another method). Holds what every exchange shares, and the exchanges in flight (for shutdown and idle
 * checks).
 */
public final class Dispatcher {
  public static final String HEALTH_PATH = TrellisEdge.HEALTH_PATH;
  public static final String OPENAPI_PATH = "/openapi.json";
  static final String JSON = "application/json";

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  private final EdgeSettings settings;
  private final EdgeApi api;
  private final Upstreams upstreams;
  private final EdgeObservability observability;
  private final Cors cors;
  private final byte[] openApi;
  private final Set<Exchange> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean draining = new AtomicBoolean();

  public Dispatcher(EdgeSettings settings, EdgeApi api, Upstreams upstreams, EdgeObservability observability,
      byte[] openApi) {
    this.settings = requireNonNull(settings, "settings");
    this.api = requireNonNull(api, "api");
    this.upstreams = requireNonNull(upstreams, "upstreams");
    this.observability = requireNonNull(observability, "observability");
    this.cors = new Cors(settings.corsOrigins());
    this.openApi = requireNonNull(openApi, "openApi").clone();
  }

  /** The exchange that answers {@code request}; registered, not yet begun. */
  Exchange exchangeFor(ChannelHandlerContext ctx, HttpRequest request, RequestHandler handler) {
    String uri = request.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    String method = request.method().name();
    InetAddress peer = address(ctx.channel());
    RequestRecord record = new RequestRecord(method, path, peer == null ? null : peer.getHostAddress(),
        handler.http2() ? "HTTP/2" : request.protocolVersion().text(), EdgeObservability.requestId(request.headers()),
        observability.startSpan(method, path, request.headers()));
    Exchange exchange;
    try {
      exchange = route(ctx, request, handler, record, path, query < 0 ? "" : uri.substring(query + 1), peer);
    } catch (EdgeError e) {
      exchange = error(ctx, request, handler, record, e);
    } catch (RuntimeException e) {
      // A header gRPC cannot carry, say: the caller's fault, told in its terms, never a stack trace.
      log.debug("request refused", e);
      exchange = error(ctx, request, handler, record, EdgeError.invalidArgument("INVALID_REQUEST",
          "the request cannot be forwarded: " + e.getMessage(), null));
    }
    inFlight.add(exchange);
    return exchange;
  }

  private Exchange route(ChannelHandlerContext ctx, HttpRequest request, RequestHandler handler,
      RequestRecord record, String path, String query, InetAddress peer) {
    if (!request.decoderResult().isSuccess()) {
      throw EdgeError.invalidArgument("MALFORMED_REQUEST", "the request is not valid HTTP", null);
    }
    if (Cors.isPreflight(request) && cors.enabled()) {
      record.routed("CORS preflight", null);
      if (!cors.allows(request.headers())) {
        throw EdgeError.originNotAllowed(request.headers().get("origin"));
      }
      DefaultHttpHeaders headers = new DefaultHttpHeaders();
      cors.preflight(request.headers(), headers);
      Map<String, String> preflight = new LinkedHashMap<>();
      headers.forEach(h -> preflight.put(h.getKey(), h.getValue()));
      return new FixedResponse(ctx, request, record, this, handler, 204, null, null, preflight, null);
    }
    if (path.equals(HEALTH_PATH) && request.method().equals(HttpMethod.GET)) {
      record.routed(HEALTH_PATH, null);
      boolean serving = !draining.get();
      return new FixedResponse(ctx, request, record, this, handler, serving ? 200 : 503, JSON,
          (serving ? "{\"status\":\"SERVING\"}" : "{\"status\":\"NOT_SERVING\"}").getBytes(StandardCharsets.UTF_8),
          Map.of(), null);
    }
    if (draining.get()) {
      throw EdgeError.unavailable("SHUTTING_DOWN", "the edge is shutting down; try again");
    }
    if (path.equals(OPENAPI_PATH) && request.method().equals(HttpMethod.GET)) {
      record.routed(OPENAPI_PATH, null);
      return new FixedResponse(ctx, request, record, this, handler, 200, JSON, openApi, Map.of(), null);
    }
    String contentType = request.headers().get("content-type", "").toLowerCase(Locale.ROOT);
    if (contentType.startsWith("application/grpc-web")) {
      return grpcWeb(ctx, request, handler, record, path, contentType, peer);
    }
    RouteTable.Lookup lookup = api.routes().find(request.method().name(), path);
    if (lookup instanceof RouteTable.Found found) {
      record.routed(found.route().template().text(), found.route().grpcMethodName());
      observability.routed(record.trace(), record.method(), found.route().template().text(),
          found.route().grpcMethodName());
      return new RestExchange(ctx, request, record, this, handler, found.route(), found.bindings(),
          new QueryStringDecoder(query, StandardCharsets.UTF_8, false).parameters(), peer);
    }
    if (lookup instanceof RouteTable.WrongMethod wrong) {
      throw EdgeError.methodNotAllowed(request.method().name(), wrong.allowed());
    }
    throw EdgeError.notFound(path);
  }

  private Exchange grpcWeb(ChannelHandlerContext ctx, HttpRequest request, RequestHandler handler,
      RequestRecord record, String path, String contentType, InetAddress peer) {
    MethodDescriptor method = api.method(path.startsWith("/") ? path.substring(1) : path).orElse(null);
    record.routed("gRPC-Web", method == null ? null : path.substring(1));
    if (!request.method().equals(HttpMethod.POST)) {
      throw EdgeError.methodNotAllowed(request.method().name(), Set.of("POST"));
    }
    return new GrpcWebExchange(ctx, request, record, this, handler, method, contentType, peer);
  }

  Exchange error(ChannelHandlerContext ctx, HttpRequest request, RequestHandler handler, RequestRecord record,
      EdgeError error) {
    Status status = error.status();
    byte[] body = api.json().print(status).getBytes(StandardCharsets.UTF_8);
    return new FixedResponse(ctx, request, record, this, handler, error.httpStatus(), JSON, body, error.headers(),
        io.grpc.Status.fromCodeValue(status.getCode()).getCode().name());
  }

  /** The x-forwarded-for a request from {@code peer} sends upstream. */
  String forwardedFor(HttpRequest request, InetAddress peer) {
    boolean trusted = false;
    if (peer != null) {
      for (CidrBlock block : settings.trustedProxies()) {
        trusted |= block.contains(peer);
      }
    }
    return MetadataHeaders.forwardedFor(request.headers().get("x-forwarded-for"), peer, trusted);
  }

  private static InetAddress address(Channel channel) {
    Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
    SocketAddress remote = connection.remoteAddress();
    return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  void unregister(Exchange exchange) {
    inFlight.remove(exchange);
  }

  /** Exchanges in flight on one connection. */
  List<Exchange> inFlight(Channel connection) {
    return inFlight.stream().filter(e -> e.connection() == connection).toList();
  }

  /** Every exchange in flight. */
  List<Exchange> inFlight() {
    return List.copyOf(inFlight);
  }

  /** From now on new requests get 503 and keep-alive connections close after their response. */
  public void drain() {
    draining.set(true);
  }

  boolean draining() {
    return draining.get();
  }

  EdgeSettings settings() {
    return settings;
  }

  EdgeApi api() {
    return api;
  }

  Upstreams upstreams() {
    return upstreams;
  }

  EdgeObservability observability() {
    return observability;
  }

  Cors cors() {
    return cors;
  }
}
