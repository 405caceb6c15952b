package dev.trellis.edge.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the requests of one HTTP/1.1 connection, one after the other, or the one request of an HTTP/2 stream. The
 * channel does not read by itself: this handler reads the next request only when the last one is answered, and an
 * exchange reads its body only as fast as it can pass it on, so neither a fast client nor a slow service fills the
 * edge's memory. Requests pipelined behind the current one wait their turn.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter {
  /** Fired on every connection when shutdown begins. */
  static final Object DRAIN = new Object();

  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

  private final Dispatcher dispatcher;
  private final boolean http2;
  private ChannelHandlerContext ctx;
  private Exchange exchange;
  private boolean requestRead = true; // the body of the latest request has been read to its end
  private boolean waitingForRequestEnd; // answered before its body ended; reading the rest away
  private final ArrayDeque<HttpObject> pipelined = new ArrayDeque<>();

  RequestHandler(Dispatcher dispatcher, boolean http2) {
    this.dispatcher = dispatcher;
    this.http2 = http2;
  }

  boolean http2() {
    return http2;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject object)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!pipelined.isEmpty() || exchange != null && msg instanceof HttpRequest) {
      pipelined.add(object); // HTTP/1.1 pipelining: after the current response
      return;
    }
    handle(object);
  }

  private void handle(HttpObject msg) {
    if (msg instanceof HttpRequest request) {
      requestRead = false;
      waitingForRequestEnd = false;
      exchange = dispatcher.exchangeFor(ctx, request, this);
      exchange.begin();
    }
    if (msg instanceof HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (last) {
        requestRead = true;
      }
      if (exchange != null && !exchange.finished()) {
        exchange.onContent(content);
      } else {
        content.release();
        if (waitingForRequestEnd) {
          if (last) {
            waitingForRequestEnd = false;
            next();
          } else {
            ctx.read();
          }
        }
      }
    }
  }

  /**
   * The exchange has written its response (the last write is {@code lastWrite}). The connection reads the next
   * request, or first the rest of this one's body, or closes: an HTTP/1.1 connection whose request body is still
   * coming (the answer came early) or that is draining.
   */
  void exchangeDone(Exchange done, ChannelFuture lastWrite) {
    if (exchange != done) {
      return;
    }
    exchange = null;
    if (!requestRead) {
      if (!http2 && done.hasBody()) {
        closeAfter(lastWrite);
        return;
      }
      waitingForRequestEnd = true;
      ctx.read();
      return;
    }
    next();
  }

  /** Whether the response of {@code e} should tell an HTTP/1.1 client that the connection closes after it. */
  boolean closeAfterResponse(Exchange e) {
    return dispatcher.draining() || !requestRead && e.hasBody();
  }

  private void next() {
    if (!http2 && dispatcher.draining()) {
      ctx.close();
      return;
    }
    while (exchange == null && !pipelined.isEmpty()) {
      handle(pipelined.poll());
    }
    if (exchange == null && pipelined.isEmpty()) {
      ctx.read();
    }
  }

  private void closeAfter(ChannelFuture lastWrite) {
    if (lastWrite == null) {
      ctx.close();
    } else {
      lastWrite.addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (exchange != null) {
      exchange.onWritabilityChanged();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (exchange != null) {
      exchange.onClientGone();
    }
    pipelined.forEach(ReferenceCountUtil::release);
    pipelined.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event == DRAIN) {
      if (exchange == null) {
        ctx.close(); // idle keep-alive connection: nothing to finish
      }
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection failed: {}", cause.toString());
    ctx.close();
  }
}
