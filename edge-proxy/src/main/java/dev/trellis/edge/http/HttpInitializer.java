package dev.trellis.edge.http;

import static java.util.Objects.requireNonNull;

import dev.trellis.edge.EdgeSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pipeline of a new connection: HTTP/1.1, or HTTP/2 in cleartext (h2c) by prior knowledge or by upgrade, on the
 * same port. HTTP/2 streams each get their own channel that speaks the same HTTP objects as HTTP/1.1, so one
 * {@link RequestHandler} serves both. Connections beyond the limit are closed as they come.
 */
final class HttpInitializer extends ChannelInitializer<SocketChannel> {
  private static final int MAX_INITIAL_LINE = 8192;
  private static final int MAX_HEADER_BYTES = 16384;
  private static final int MAX_CHUNK = 16384;

  private final Dispatcher dispatcher;
  private final EdgeSettings settings;
  private final ChannelGroup connections;
  private final AtomicInteger open = new AtomicInteger();

  HttpInitializer(Dispatcher dispatcher, ChannelGroup connections) {
    this.dispatcher = requireNonNull(dispatcher, "dispatcher");
    this.settings = dispatcher.settings();
    this.connections = requireNonNull(connections, "connections");
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    if (open.incrementAndGet() > settings.maxConnections() || dispatcher.draining()) {
      open.decrementAndGet();
      ch.close();
      return;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    connections.add(ch);
    HttpServerCodec http1 = new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, MAX_CHUNK);
    HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
        AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
            ? new Http2ServerUpgradeCodec(http2Codec(), new Http2MultiplexHandler(new StreamInitializer()))
            : null,
        settings.maxBodyBytes());
    ch.pipeline()
        .addLast("idle", new IdleStateHandler(true, 0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
        .addLast("h2c", new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(http2Codec(), new Http2MultiplexHandler(new StreamInitializer()));
          }
        }))
        .addLast("guard", new ConnectionGuard(dispatcher));
  }

  private Http2FrameCodec http2Codec() {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxConcurrentStreams(settings.maxConcurrentStreams())
            .maxHeaderListSize(MAX_HEADER_BYTES))
        // Closing the connection (shutdown) sends GOAWAY and waits this long for the streams in flight.
        .gracefulShutdownTimeoutMillis(settings.shutdownGrace().toMillis() + 2_000)
        .build();
  }

  /** Each HTTP/2 stream: HTTP objects, read on demand like an HTTP/1.1 connection. */
  private final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
    @Override
    protected void initChannel(Http2StreamChannel stream) {
      stream.config().setAutoRead(false);
      stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new RequestHandler(dispatcher, true));
    }
  }
}
