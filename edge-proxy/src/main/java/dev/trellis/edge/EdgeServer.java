package dev.trellis.edge;

import static java.util.Objects.requireNonNull;

import dev.trellis.edge.http.Dispatcher;
import dev.trellis.edge.http.EdgeObservability;
import dev.trellis.edge.http.HttpServerChannels;
import dev.trellis.edge.openapi.OpenApiDocument;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.proto.TrellisDescriptors;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge: REST and gRPC-Web on one HTTP port (HTTP/1.1 and h2c), transcoded to gRPC calls to the services by the
 * descriptors' http rules, on Netty event loops that the upstream gRPC channels share.
 *
 * <p>Shutdown is graceful, like the services': the health endpoint turns NOT_SERVING and new requests get 503, the
 * port closes, idle connections close (HTTP/2 ones get GOAWAY), requests in flight get the grace period, and those
 * still open then end with UNAVAILABLE (a last NDJSON line, a gRPC-Web status) before the connections close.
 */
public final class EdgeServer {
  public static final String NAME = "edge-proxy";
  private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);
  private static final Duration DRAIN_WAIT = Duration.ofSeconds(2);

  private final EdgeSettings settings;
  private final EventLoopGroup loops;
  private final Upstreams upstreams;
  private final Dispatcher dispatcher;
  private final HttpServerChannels channels;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private boolean stopped;

  private EdgeServer(EdgeSettings settings, EdgeApi api, Telemetry telemetry) {
    this.settings = settings;
    this.loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
        NioIoHandler.newFactory());
    this.upstreams = new Upstreams(settings.upstreams(), loops, telemetry);
    byte[] openApi = OpenApiDocument.generate(api, "Trellis API", "v1");
    this.dispatcher = new Dispatcher(settings, api, upstreams, new EdgeObservability(telemetry), openApi);
    this.channels = new HttpServerChannels(dispatcher, loops);
  }

  /**
   * An edge over {@code descriptors}, serving the services of {@code settings.upstreams()} (not yet listening).
   *
   * @throws dev.trellis.platform.config.ConfigException when an upstream names a service the descriptors lack, or
   *     an http rule is invalid
   */
  public static EdgeServer create(EdgeSettings settings, TrellisDescriptors descriptors, Telemetry telemetry) {
    requireNonNull(settings, "settings");
    requireNonNull(descriptors, "descriptors");
    requireNonNull(telemetry, "telemetry");
    return new EdgeServer(settings, EdgeApi.of(descriptors, settings.upstreams().keySet()), telemetry);
  }

  /** Starts listening on the port. */
  public EdgeServer start() throws IOException {
    channels.bind(settings.port());
    return this;
  }

  /** The port it listens on (the chosen one when configured with 0). */
  public int port() {
    return channels.port();
  }

  /** Stops gracefully, as the class comment says; returns when stopped. */
  public void stopGracefully() {
    synchronized (this) {
      if (stopped) {
        return;
      }
      stopped = true;
    }
    try {
      dispatcher.drain();
      channels.closePort();
      channels.drainConnections();
      if (!channels.awaitConnectionsClosed(settings.shutdownGrace())) {
        int ended = channels.abortInFlight(io.grpc.Status.UNAVAILABLE.withDescription("the edge is shutting down"));
        log.warn("grace period of {} over: ended {} request(s) with UNAVAILABLE", settings.shutdownGrace(), ended);
        channels.awaitConnectionsClosed(DRAIN_WAIT);
      }
      channels.closeConnections();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      upstreams.close();
      loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      terminated.countDown();
    }
  }

  /** Waits until the edge has stopped. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }
}
