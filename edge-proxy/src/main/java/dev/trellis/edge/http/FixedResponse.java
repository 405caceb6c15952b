package dev.trellis.edge.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Map;

/** A response the edge has ready at the request head: health, the OpenAPI document, a preflight, an error. */
final class FixedResponse extends Exchange {
  private final int status;
  private final String contentType;
  private final byte[] body;
  private final Map<String, String> headers;
  private final String grpcStatus;

  FixedResponse(ChannelHandlerContext ctx, HttpRequest request, RequestRecord record, Dispatcher edge,
      RequestHandler handler, int status, String contentType, byte[] body, Map<String, String> headers,
      String grpcStatus) {
    super(ctx, request, record, edge, handler);
    this.status = status;
    this.contentType = contentType;
    this.body = body;
    this.headers = headers;
    this.grpcStatus = grpcStatus;
  }

  @Override
  void begin() {
    FullHttpResponse response = full(status, contentType, body == null ? null : Unpooled.wrappedBuffer(body));
    headers.forEach(response.headers()::set);
    respond(response, status, grpcStatus);
  }

  @Override
  void onContent(HttpContent content) {
    content.release();
  }

  @Override
  void abort(io.grpc.Status status) {}
}
