package dev.trellis.edge.http;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket and the open connections of the edge's HTTP server, and the steps of closing them.
 * Connections do not read by themselves (the handlers ask for more when they can pass it on), and a connection
 * whose unsent output passes 64 KiB stops being writable, which stops the upstream stream feeding it.
 */
public final class HttpServerChannels {
  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

  private final Dispatcher dispatcher;
  private final EventLoopGroup loops;
  private final ChannelGroup connections = new DefaultChannelGroup("edge-connections", GlobalEventExecutor.INSTANCE);
  private Channel server;

  public HttpServerChannels(Dispatcher dispatcher, EventLoopGroup loops) {
    this.dispatcher = requireNonNull(dispatcher, "dispatcher");
    this.loops = requireNonNull(loops, "loops");
  }

  public void bind(int port) throws IOException {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(loops)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new HttpInitializer(dispatcher, connections));
    try {
      server = bootstrap.bind(port).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding port " + port, e);
    } catch (Exception e) {
      throw new IOException("cannot listen on port " + port + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  public void closePort() {
    if (server != null) {
      server.close().awaitUninterruptibly();
    }
  }

  /** Tells every connection that shutdown began: idle ones close, HTTP/2 ones send GOAWAY. */
  public void drainConnections() {
    for (Channel connection : connections) {
      connection.eventLoop().execute(() -> connection.pipeline().fireUserEventTriggered(RequestHandler.DRAIN));
    }
  }

  /** Waits up to {@code timeout} for every connection to close; whether they did. */
  public boolean awaitConnectionsClosed(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!connections.isEmpty()) {
      if (System.nanoTime() >= end) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(10);
    }
    return true;
  }

  /** Ends every request still in flight with {@code status}; how many there were. */
  public int abortInFlight(Status status) {
    List<Exchange> inFlight = dispatcher.inFlight();
    for (Exchange exchange : inFlight) {
      exchange.connection().eventLoop().execute(() -> exchange.abort(status));
    }
    return inFlight.size();
  }

  public void closeConnections() {
    connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
