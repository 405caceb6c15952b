package dev.trellis.edge;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.Settings;
import dev.trellis.platform.server.TrellisEdge;
import dev.trellis.platform.telemetry.Telemetry;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * edge-proxy as a {@link TrellisEdge}, so the local mesh starts it by name in front of its services without
 * importing it: the settings of {@link EdgeSettings}, with the port and upstreams the mesh gives.
 */
public final class EdgeProxy implements TrellisEdge {
  @Override
  public String name() {
    return EdgeServer.NAME;
  }

  @Override
  public int defaultPort() {
    return EdgeSettings.DEFAULT_PORT;
  }

  @Override
  public Running start(Settings settings, int port, Map<String, String> upstreams) throws IOException {
    requireNonNull(settings, "settings");
    requireNonNull(upstreams, "upstreams");
    EdgeSettings edge = EdgeSettings.fromSettings(settings.with(Map.of(
        EdgeSettings.PORT, Integer.toString(port),
        EdgeSettings.UPSTREAMS, upstreams.entrySet().stream()
            .map(upstream -> upstream.getKey() + "=" + upstream.getValue())
            .collect(Collectors.joining(",")))));
    Telemetry telemetry = Telemetry.fromEnvironment(EdgeServer.NAME);
    EdgeServer server;
    try {
      server = EdgeServer.create(edge, EdgeMain.descriptors(edge), telemetry);
    } catch (RuntimeException e) {
      telemetry.close();
      throw e;
    }
    try {
      server.start();
    } catch (IOException e) {
      server.stopGracefully(); // its event loops and channels
      telemetry.close();
      throw e;
    }
    return new Running() {
      @Override
      public int port() {
        return server.port();
      }

      @Override
      public void stopGracefully() {
        server.stopGracefully();
        telemetry.close();
      }
    };
  }
}
