package dev.trellis.edge.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every connection. It starts the first read (connections do not read by themselves), learns
 * the protocol: at the first HTTP/1.1 request it adds the keep-alive handling and a {@link RequestHandler}; on a
 * switch to HTTP/2 (prior knowledge or an h2c upgrade) it lets the connection read freely, since HTTP/2 flow control
 * works per stream. It closes a connection left idle (nothing in flight, or a response its client stopped reading)
 * and, when shutdown begins, an HTTP/2 connection (GOAWAY, then the streams finish).
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

  private final Dispatcher dispatcher;
  private boolean http1;
  private boolean http2;

  ConnectionGuard(Dispatcher dispatcher) {
    this.dispatcher = dispatcher;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!http1 && !http2 && msg instanceof HttpMessage) {
      http1 = true;
      ChannelPipeline pipeline = ctx.pipeline();
      pipeline.addAfter(ctx.name(), "keep-alive", new HttpServerKeepAliveHandler());
      pipeline.addAfter("keep-alive", "expect-continue", new HttpServerExpectContinueHandler());
      pipeline.addAfter("expect-continue", "requests", new RequestHandler(dispatcher, false));
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent
        || event instanceof HttpServerUpgradeHandler.UpgradeEvent) {
      http2 = true;
      ctx.channel().config().setAutoRead(true);
      ctx.read();
    } else if (event instanceof IdleStateEvent) {
      var inFlight = dispatcher.inFlight(ctx.channel());
      if (inFlight.isEmpty() || inFlight.stream().anyMatch(Exchange::waitingOnClient)) {
        log.debug("closing idle connection {}", ctx.channel());
        ctx.channel().close();
      }
      return;
    } else if (event == RequestHandler.DRAIN && http2) {
      ctx.channel().close(); // GOAWAY; the streams in flight finish within the grace period
      return;
    } else if (event == RequestHandler.DRAIN && !http1) {
      ctx.channel().close(); // connected, said nothing yet
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
