package dev.trellis.edge.http;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.rpc.Status;
import dev.trellis.edge.route.Deprecations;
import dev.trellis.edge.route.Route;
import dev.trellis.edge.transcode.EdgeError;
import dev.trellis.edge.transcode.HttpStatuses;
import dev.trellis.edge.transcode.JsonSequenceSplitter;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.protobuf.StatusProto;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.opentelemetry.context.Scope;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * A REST call transcoded to gRPC: the request message bound from path, query and body, one upstream call with dynamic
 * messages, and the response as JSON, or as NDJSON for a server stream (one message per line, each flushed; the
 * next is asked of the service only while the client keeps reading, so a slow reader slows the service's stream
 * instead of filling the edge). A client stream takes a JSON array or NDJSON body, sent on message by message while
 * the service is ready for more. Errors are the service's google.rpc.Status as the JSON body with the mapped HTTP
 * status; an error in the middle of a stream is its last line, {@code {"error": <Status>}}.
 */
final class RestExchange extends Exchange {
  static final String NDJSON = "application/x-ndjson";

  private final Route route;
  private final Map<String, String> bindings;
  private final Map<String, List<String>> query;
  /** The request's metadata, checked before anything is read or called. */
  private final Metadata metadata;
  private ClientCall<DynamicMessage, DynamicMessage> call;
  private CompositeByteBuf body; // a unary body, gathered up to the limit
  private JsonSequenceSplitter stream; // a client stream's body, cut into messages
  private boolean readWhenReady; // a client stream waits for the service before it reads on
  private Metadata responseHeaders;
  private DynamicMessage response;
  private final List<Deprecations.Notice> deprecations = new ArrayList<>();

  RestExchange(ChannelHandlerContext ctx, HttpRequest request, RequestRecord record, Dispatcher edge,
      RequestHandler handler, Route route, Map<String, String> bindings, Map<String, List<String>> query,
      InetAddress peer) {
    super(ctx, request, record, edge, handler);
    this.route = route;
    this.bindings = bindings;
    this.query = query;
    try {
      this.metadata = MetadataHeaders.forRest(request.headers(), record.requestId(), edge.forwardedFor(request, peer),
          !edge.observability().tracing());
    } catch (IllegalArgumentException e) {
      throw EdgeError.invalidArgument("INVALID_HEADER", e.getMessage(), null); // answered before any call
    }
  }

  @Override
  void begin() {
    try {
      edge.api().deprecations().of(route.method()).ifPresent(deprecations::add);
      if (route.clientStreaming()) {
        checkContentType(true);
        stream = new JsonSequenceSplitter(edge.settings().maxBodyBytes());
        startCall();
        readMore();
      } else if (route.hasBody() && hasBody()) {
        checkContentType(false);
        long length = HttpUtil.getContentLength(request, 0L);
        if (length > edge.settings().maxBodyBytes()) {
          throw EdgeError.tooLarge(edge.settings().maxBodyBytes());
        }
        body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        readMore();
      } else {
        // No body rule (or an empty body): the request is all in the head; a stray body is read away.
        send(edge.api().binder().bind(route, bindings, query, null));
      }
    } catch (EdgeError e) {
      fail(e);
    }
  }

  private void checkContentType(boolean stream) {
    String type = request.headers().get("content-type", "");
    String mime = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (mime.equals("application/json") || mime.isEmpty() && !hasBody() || stream && mime.equals(NDJSON)) {
      return;
    }
    throw EdgeError.unsupportedMediaType(type, stream ? "application/json (an array) or " + NDJSON
        : "application/json");
  }

  @Override
  void onContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    try {
      if (stream != null) {
        streamContent(content.content(), last);
      } else if (body != null) {
        if (body.readableBytes() + content.content().readableBytes() > edge.settings().maxBodyBytes()) {
          throw EdgeError.tooLarge(edge.settings().maxBodyBytes());
        }
        body.addComponent(true, content.content().retain());
        if (last) {
          String text = body.toString(StandardCharsets.UTF_8);
          body.release();
          body = null;
          send(edge.api().binder().bind(route, bindings, query, text));
        } else {
          readMore();
        }
      } else if (!last) {
        readMore();
      }
    } catch (EdgeError e) {
      if (call != null) {
        call.cancel("the request was refused at the edge", null);
      }
      fail(e);
    } finally {
      content.release();
    }
  }

  private void streamContent(ByteBuf chunk, boolean last) {
    List<String> messages = new ArrayList<>(stream.feed(ByteBufUtil.getBytes(chunk)));
    if (last) {
      messages.addAll(stream.finish());
    }
    for (String json : messages) {
      DynamicMessage message = edge.api().binder().parseMessage(route.method().getInputType(), json);
      noteDeprecations(message);
      call.sendMessage(message);
    }
    if (last) {
      call.halfClose();
    } else if (call.isReady()) {
      readMore();
    } else {
      readWhenReady = true;
    }
  }

  private void readMore() {
    ctx.read();
  }

  /** Calls the service with a whole request (unary or server streaming). */
  private void send(DynamicMessage message) {
    noteDeprecations(message);
    startCall();
    call.sendMessage(message);
    call.halfClose();
  }

  private void noteDeprecations(Message message) {
    for (Deprecations.Notice notice : edge.api().deprecations().fieldsSetIn(message)) {
      if (!deprecations.contains(notice)) {
        deprecations.add(notice);
      }
    }
  }

  private void startCall() {
    Channel channel = edge.upstreams().channel(route.method());
    if (channel == null) {
      throw EdgeError.unavailable("NO_UPSTREAM", "no upstream is configured for "
          + route.method().getService().getFullName());
    }
    CallOptions options = CallOptions.DEFAULT
        .withExecutor(ctx.channel().eventLoop())
        .withDeadlineAfter(deadlineNanos(), TimeUnit.NANOSECONDS);
    try (Scope ignored = record.trace().makeCurrent()) {
      call = channel.newCall(edge.upstreams().dynamic(route.method()), options);
    }
    upstream = call;
    call.start(new Listener(), metadata);
    call.request(1);
  }

  /** The caller's grpc-timeout, at most the stream deadline; else the default of the call's kind. */
  private long deadlineNanos() {
    long cap = edge.settings().streamDeadline().toNanos();
    OptionalLong timeout = MetadataHeaders.grpcTimeoutNanos(request.headers().get("grpc-timeout"));
    if (timeout.isPresent()) {
      return Math.min(timeout.getAsLong(), cap);
    }
    return route.serverStreaming() ? cap : edge.settings().deadline().toNanos();
  }

  @Override
  void abort(io.grpc.Status status) {
    if (finished()) {
      return;
    }
    if (call != null) {
      call.cancel(status.getDescription(), null);
    }
    close(status, new Metadata());
  }

  private void fail(EdgeError e) {
    releaseBody();
    if (responseStarted) {
      endStream(e.status(), new Metadata());
      return;
    }
    FullHttpResponse response = full(e.httpStatus(), Dispatcher.JSON, utf8(edge.api().json().print(e.status())));
    e.headers().forEach(response.headers()::set);
    respond(response, e.httpStatus(), io.grpc.Status.fromCodeValue(e.status().getCode()).getCode().name());
  }

  @Override
  void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  /** The upstream call's callbacks, on this connection's event loop. */
  private final class Listener extends ClientCall.Listener<DynamicMessage> {
    @Override
    public void onHeaders(Metadata headers) {
      responseHeaders = headers;
      if (route.serverStreaming() && !finished()) {
        startStream(); // a service that sends its headers first starts the HTTP response before any message
        ctx.flush();
      }
    }

    @Override
    public void onMessage(DynamicMessage message) {
      if (finished()) {
        return;
      }
      if (!route.serverStreaming()) {
        response = message;
        return;
      }
      startStream();
      StringBuilder line = new StringBuilder(256);
      printBody(message, line);
      ctx.writeAndFlush(new DefaultHttpContent(utf8(line.append('\n'))));
      requestNextWhenWritable();
    }

    @Override
    public void onClose(io.grpc.Status status, Metadata trailers) {
      if (!finished()) {
        close(status, trailers);
      }
    }

    @Override
    public void onReady() {
      if (readWhenReady && !finished()) {
        readWhenReady = false;
        readMore();
      }
    }
  }

  private void startStream() {
    if (!responseStarted) {
      HttpResponse head = head(200, NDJSON);
      decorate(head.headers(), responseHeaders, null);
      writeHead(head);
    }
  }

  private void close(io.grpc.Status status, Metadata trailers) {
    releaseBody();
    Status rpcStatus = StatusProto.fromStatusAndTrailers(status, trailers);
    if (responseStarted) {
      endStream(rpcStatus, trailers);
      return;
    }
    int httpStatus = HttpStatuses.of(status.getCode());
    StringBuilder json = new StringBuilder(256);
    if (status.isOk()) {
      if (route.serverStreaming()) {
        json.setLength(0); // a stream without messages: an empty NDJSON body
      } else if (response != null) {
        printBody(response, json);
      }
    } else {
      edge.api().json().print(rpcStatus, json);
    }
    FullHttpResponse full = full(httpStatus, status.isOk() && route.serverStreaming() ? NDJSON : Dispatcher.JSON,
        utf8(json));
    decorate(full.headers(), responseHeaders, trailers);
    if (!status.isOk()) {
      HttpStatuses.retryAfterSeconds(rpcStatus).ifPresent(s -> full.headers().set("retry-after", s));
    }
    respond(full, httpStatus, status.getCode().name());
  }

  /** Ends a stream already under way: an error as its last line, then the trailers. */
  private void endStream(Status status, Metadata trailers) {
    if (status.getCode() != 0) {
      StringBuilder line = new StringBuilder(256).append("{\"error\":");
      edge.api().json().print(status, line);
      ctx.write(new DefaultHttpContent(utf8(line.append("}\n"))));
    }
    LastHttpContent last = new DefaultLastHttpContent();
    MetadataHeaders.toHttp(trailers, last.trailingHeaders(), false);
    last.trailingHeaders().set("grpc-status", Integer.toString(status.getCode()));
    if (!status.getMessage().isEmpty()) {
      last.trailingHeaders().set("grpc-message", status.getMessage());
    }
    ChannelFuture written = ctx.writeAndFlush(last);
    io.grpc.Status.Code code = io.grpc.Status.fromCodeValue(status.getCode()).getCode();
    complete(written, 200, code.name());
  }

  /** Response metadata as headers (trailers too when the response is whole), and the deprecation headers. */
  private void decorate(HttpHeaders headers, Metadata fromHeaders, Metadata fromTrailers) {
    MetadataHeaders.toHttp(fromHeaders, headers, false);
    MetadataHeaders.toHttp(fromTrailers, headers, false);
    for (Deprecations.Notice notice : deprecations) {
      edge.observability().deprecated(route.grpcMethodName(), notice);
      headers.set("deprecation", notice.deprecationHeader());
      notice.sunsetHeader().ifPresent(sunset -> headers.set("sunset", sunset));
    }
  }

  /** The JSON of a response message, or of its response_body field. */
  private void printBody(DynamicMessage message, StringBuilder out) {
    FieldDescriptor field = route.responseBodyField();
    if (field == null) {
      edge.api().json().print(message, out);
      return;
    }
    if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()) {
      edge.api().json().print((Message) message.getField(field), out);
      return;
    }
    // A scalar or repeated field: its JSON value, cut from the JSON of a message holding only it.
    DynamicMessage only = DynamicMessage.newBuilder(message.getDescriptorForType())
        .setField(field, message.getField(field)).build();
    String json = edge.api().json().print(only);
    String prefix = "{\"" + field.getJsonName() + "\":";
    out.append(json.startsWith(prefix) ? json.substring(prefix.length(), json.length() - 1)
        : field.isRepeated() ? "[]" : "null");
  }

  private ByteBuf utf8(CharSequence text) {
    ByteBuf buf = ctx.alloc().buffer(text.length() + 16);
    ByteBufUtil.writeUtf8(buf, text);
    return buf;
  }
}
