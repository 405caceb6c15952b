package dev.trellis.edge.http;

import io.grpc.ClientCall;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2StreamChannel;

/**
 * One HTTP request and its response, from the request head to the last byte written. Runs on the event loop of its
 * connection only (the upstream call's callbacks too), so it needs no locks. Subclasses answer REST, gRPC-Web or a
 * fixed response; this class holds what all share: the request id, CORS, keep-alive, and the end (access-log line,
 * span, telling the connection it may read the next request).
 */
abstract class Exchange {
  protected final ChannelHandlerContext ctx;
  protected final HttpRequest request;
  protected final RequestRecord record;
  protected final Dispatcher edge;
  private final RequestHandler handler;
  private boolean finished;
  protected boolean responseStarted;
  /** The upstream call, once started. */
  protected ClientCall<?, ?> upstream;
  private boolean requestWhenWritable; // a stream waits for the client before it asks the service for more

  Exchange(ChannelHandlerContext ctx, HttpRequest request, RequestRecord record, Dispatcher edge,
      RequestHandler handler) {
    this.ctx = ctx;
    this.request = request;
    this.record = record;
    this.edge = edge;
    this.handler = handler;
  }

  /** Starts the work of the request once its head is in (the exchange is registered by then). */
  abstract void begin();

  /** A part of the request body; the exchange releases it. */
  abstract void onContent(HttpContent content);

  /** The connection's buffer drained below (or rose above) its mark: a streamed response may go on. */
  final void onWritabilityChanged() {
    if (requestWhenWritable && ctx.channel().isWritable() && !finished) {
      requestWhenWritable = false;
      upstream.request(1);
    }
  }

  /** The caller closed the connection or reset the stream before the response ended: the call is cancelled. */
  final void onClientGone() {
    if (!finished) {
      if (upstream != null) {
        upstream.cancel("the client went away", null);
      }
      releaseBody();
      complete(null, 499, "CANCELLED");
    }
  }

  /** Frees a request body gathered so far. */
  void releaseBody() {}

  /** After a streamed message: asks the service for the next one now if the client keeps up, else once it does. */
  final void requestNextWhenWritable() {
    if (ctx.channel().isWritable()) {
      upstream.request(1);
    } else {
      requestWhenWritable = true;
    }
  }

  /** Ends the exchange now with {@code status} (the grace period of a shutdown is over). */
  abstract void abort(io.grpc.Status status);

  final boolean finished() {
    return finished;
  }

  /** The connection (the TCP channel, also for an HTTP/2 stream). */
  final Channel connection() {
    return ctx.channel() instanceof Http2StreamChannel ? ctx.channel().parent() : ctx.channel();
  }

  /** Whether the response is stuck on a caller that does not read it. */
  final boolean waitingOnClient() {
    return responseStarted && !finished && !ctx.channel().isWritable();
  }

  /** Whether the request carries a body (a length above zero, or chunks). */
  final boolean hasBody() {
    return HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request);
  }

  /** A response head with the request id. */
  final HttpResponse head(int status, String contentType) {
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    response.headers().set("x-request-id", record.requestId());
    return response;
  }

  /** A whole response with the request id and a length. */
  final FullHttpResponse full(int status, String contentType, ByteBuf body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        body == null ? Unpooled.EMPTY_BUFFER : body);
    if (contentType != null) {
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    }
    response.headers().set("x-request-id", record.requestId());
    HttpUtil.setContentLength(response, response.content().readableBytes());
    return response;
  }

  /** Writes the head of a streamed response (CORS, keep-alive) without flushing. */
  final void writeHead(HttpResponse response) {
    prepare(response);
    if (!handler.http2()) {
      HttpUtil.setTransferEncodingChunked(response, true);
    }
    responseStarted = true;
    ctx.write(response);
  }

  /** Writes a whole response and ends the exchange. */
  final void respond(FullHttpResponse response, int httpStatus, String grpcStatus) {
    prepare(response);
    responseStarted = true;
    complete(ctx.writeAndFlush(response), httpStatus, grpcStatus);
  }

  private void prepare(HttpResponse response) {
    edge.cors().decorate(request.headers(), response.headers());
    if (!handler.http2() && handler.closeAfterResponse(this)) {
      HttpUtil.setKeepAlive(response, false);
    }
  }

  /**
   * Ends the exchange: the access-log line, the span, and the connection may read on ({@code lastWrite} is the
   * write of the response's last part, or null when nothing more was written).
   */
  final void complete(ChannelFuture lastWrite, int httpStatus, String grpcStatus) {
    if (finished) {
      return;
    }
    finished = true;
    edge.observability().endSpan(record.trace(), httpStatus);
    edge.observability().log(record, httpStatus, grpcStatus);
    edge.unregister(this);
    handler.exchangeDone(this, lastWrite);
  }
}
