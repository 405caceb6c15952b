package dev.trellis.edge.http;

import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.trellis.edge.transcode.EdgeError;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.opentelemetry.context.Scope;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC-Web call, as Envoy's grpc_web filter serves it: the request's length-prefixed messages (base64 in the
 * {@code -text} form) pass to the service as they are, and its messages come back framed the same way, then the
 * status and trailers as a last frame (flag 0x80), since browsers cannot read HTTP trailers. Messages are not parsed:
 * the edge only reframes them. Server streams are flow-controlled like REST streams.
 */
final class GrpcWebExchange extends Exchange {
  private static final byte TRAILER_FLAG = (byte) 0x80;

  private final MethodDescriptor method;
  private final boolean text;
  private final String responseType;
  private final InetAddress peer;
  private CompositeByteBuf body;
  private ClientCall<byte[], byte[]> call;
  private Metadata responseHeaders;

  GrpcWebExchange(ChannelHandlerContext ctx, HttpRequest request, RequestRecord record, Dispatcher edge,
      RequestHandler handler, MethodDescriptor method, String contentType, InetAddress peer) {
    super(ctx, request, record, edge, handler);
    this.method = method;
    this.text = contentType.startsWith("application/grpc-web-text");
    this.responseType = text ? "application/grpc-web-text+proto" : "application/grpc-web+proto";
    this.peer = peer;
    String subtype = contentType.split(";", 2)[0].trim();
    if (!List.of("application/grpc-web", "application/grpc-web+proto", "application/grpc-web-text",
        "application/grpc-web-text+proto").contains(subtype)) {
      throw EdgeError.unsupportedMediaType(contentType, "application/grpc-web+proto or application/grpc-web-text");
    }
  }

  @Override
  void begin() {
    body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
    ctx.read();
  }

  @Override
  void onContent(HttpContent content) {
    try {
      if (finished()) {
        return;
      }
      if (body.readableBytes() + content.content().readableBytes() > edge.settings().maxBodyBytes()) {
        releaseBody();
        respondStatus(Status.RESOURCE_EXHAUSTED.withDescription(
            "the request is larger than " + edge.settings().maxBodyBytes() + " bytes"), new Metadata());
        return;
      }
      body.addComponent(true, content.content().retain());
      if (content instanceof LastHttpContent) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        releaseBody();
        call(bytes);
      } else {
        ctx.read();
      }
    } finally {
      content.release();
    }
  }

  private void call(byte[] bytes) {
    if (method == null) {
      respondStatus(Status.UNIMPLEMENTED.withDescription("unknown method " + record.path()), new Metadata());
      return;
    }
    Channel channel = edge.upstreams().channel(method);
    List<byte[]> messages;
    try {
      messages = frames(text ? decodeText(bytes) : bytes);
    } catch (IllegalArgumentException e) {
      respondStatus(Status.INVALID_ARGUMENT.withDescription("malformed gRPC-Web body: " + e.getMessage()),
          new Metadata());
      return;
    }
    Metadata metadata;
    try {
      metadata = MetadataHeaders.forGrpcWeb(request.headers(), record.requestId(), edge.forwardedFor(request, peer),
          !edge.observability().tracing());
    } catch (IllegalArgumentException e) {
      respondStatus(Status.INVALID_ARGUMENT.withDescription(e.getMessage()), new Metadata());
      return;
    }
    long cap = edge.settings().streamDeadline().toNanos();
    OptionalLong timeout = MetadataHeaders.grpcTimeoutNanos(request.headers().get("grpc-timeout"));
    long deadline = timeout.isPresent() ? Math.min(cap, timeout.getAsLong())
        : method.isServerStreaming() ? cap : edge.settings().deadline().toNanos();
    CallOptions options = CallOptions.DEFAULT.withExecutor(ctx.channel().eventLoop())
        .withDeadlineAfter(deadline, TimeUnit.NANOSECONDS);
    try (Scope ignored = record.trace().makeCurrent()) {
      call = channel.newCall(edge.upstreams().raw(method), options);
    }
    upstream = call;
    call.start(new Listener(), metadata);
    call.request(1);
    for (byte[] message : messages) {
      call.sendMessage(message);
    }
    call.halfClose();
  }

  /** The base64 body of the -text form; it may be several padded pieces one after another. */
  private static byte[] decodeText(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
    String all = new String(bytes, StandardCharsets.US_ASCII).replaceAll("\\s", "");
    int start = 0;
    while (start < all.length()) {
      int end = start;
      while (end < all.length() && all.charAt(end) != '=') {
        end++;
      }
      while (end < all.length() && all.charAt(end) == '=') {
        end++;
      }
      out.writeBytes(Base64.getDecoder().decode(all.substring(start, end)));
      start = end;
    }
    return out.toByteArray();
  }

  /** The messages of length-prefixed frames; compressed frames are refused (the edge asks for none). */
  private static List<byte[]> frames(byte[] bytes) {
    List<byte[]> messages = new ArrayList<>();
    int at = 0;
    while (at < bytes.length) {
      if (bytes.length - at < 5) {
        throw new IllegalArgumentException("a frame header is cut short");
      }
      if ((bytes[at] & 1) != 0) {
        throw new IllegalArgumentException("compressed messages are not supported");
      }
      int length = ((bytes[at + 1] & 0xff) << 24) | ((bytes[at + 2] & 0xff) << 16) | ((bytes[at + 3] & 0xff) << 8)
          | (bytes[at + 4] & 0xff);
      if (length < 0 || length > bytes.length - at - 5) {
        throw new IllegalArgumentException("a frame is cut short");
      }
      byte[] message = new byte[length];
      System.arraycopy(bytes, at + 5, message, 0, length);
      messages.add(message);
      at += 5 + length;
    }
    return messages;
  }

  @Override
  void abort(Status status) {
    if (!finished()) {
      if (call != null) {
        call.cancel(status.getDescription(), null);
      }
      releaseBody();
      respondStatus(status, new Metadata());
    }
  }

  @Override
  void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  private final class Listener extends ClientCall.Listener<byte[]> {
    @Override
    public void onHeaders(Metadata headers) {
      responseHeaders = headers;
    }

    @Override
    public void onMessage(byte[] message) {
      if (finished()) {
        return;
      }
      startResponse();
      ByteBuf frame = ctx.alloc().buffer(5 + message.length);
      frame.writeByte(0).writeInt(message.length).writeBytes(message);
      ctx.writeAndFlush(new DefaultHttpContent(text ? base64(frame) : frame));
      requestNextWhenWritable();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (!finished()) {
        respondStatus(status, trailers);
      }
    }
  }

  private void startResponse() {
    if (!responseStarted) {
      HttpResponse head = head(200, responseType);
      MetadataHeaders.toHttp(responseHeaders, head.headers(), true);
      writeHead(head);
    }
  }

  /** The status and trailers as the last frame (after the head, if no message came before). */
  private void respondStatus(Status status, Metadata trailers) {
    startResponse();
    StringBuilder block = new StringBuilder();
    block.append("grpc-status:").append(status.getCode().value()).append("\r\n");
    if (status.getDescription() != null) {
      block.append("grpc-message:")
          .append(URLEncoder.encode(status.getDescription(), StandardCharsets.UTF_8).replace("+", "%20"))
          .append("\r\n");
    }
    HttpHeaders names = new DefaultHttpHeaders();
    MetadataHeaders.toHttp(trailers, names, true);
    byte[] details = trailers.get(Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER));
    if (details != null) {
      names.set("grpc-status-details-bin", Base64.getEncoder().withoutPadding().encodeToString(details));
    }
    names.forEach(h -> block.append(h.getKey()).append(':').append(h.getValue()).append("\r\n"));
    byte[] trailerBytes = block.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuf frame = ctx.alloc().buffer(5 + trailerBytes.length);
    frame.writeByte(TRAILER_FLAG).writeInt(trailerBytes.length).writeBytes(trailerBytes);
    ctx.write(new DefaultHttpContent(text ? base64(frame) : frame));
    var written = ctx.writeAndFlush(new DefaultLastHttpContent());
    complete(written, 200, status.getCode().name());
  }

  private ByteBuf base64(ByteBuf frame) {
    try {
      return ctx.alloc().buffer().writeBytes(Base64.getEncoder().encode(ByteBufUtil.getBytes(frame)));
    } finally {
      frame.release();
    }
  }
}
