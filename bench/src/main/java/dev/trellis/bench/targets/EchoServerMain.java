package dev.trellis.bench.targets;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.server.ServiceMain;
import dev.trellis.platform.telemetry.Telemetry;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.util.concurrent.Executors;

/**
 * The trivial echo (grpc.testing.SimpleService/UnaryRpc) on one of the servers whose costs the bench compares, in a
 * process of its own, on {@code TRELLIS_GRPC_PORT}:
 *
 * <ul>
 *   <li>{@code TRELLIS_ECHO_SERVER=bare}: a plain {@link NettyServerBuilder} with grpc-java's defaults
 *   <li>{@code bare-virtual-threads}: the same on a virtual thread per callback, the platform's executor
 *   <li>{@code bare-virtual-threads-traced}: that, plus OpenTelemetry's grpc server instrumentation with the services'
 *       span pipeline ({@link Telemetry#fromEnvironment}, {@code OTEL_*}) and nothing else of the chain: what tracing
 *       alone costs bare grpc-java
 *   <li>{@code chain}: a service as every Trellis service runs ({@link ServiceMain}): reflection, health and the whole
 *       interceptor chain, configured from the environment (dev mode, rate limits, {@code OTEL_*})
 * </ul>
 *
 * The handler costs the same on all of them, so their differences are the servers'.
 */
public final class EchoServerMain {
  static final String KIND = "TRELLIS_ECHO_SERVER";

  private EchoServerMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    String kind = System.getenv().getOrDefault(KIND, "bare");
    switch (kind) {
      case "chain" -> ServiceMain.run("echo-service", args, runtime -> {
        runtime.settings().string(KIND, "chain");
        return runtime.server().addUndeclaredService(new EchoService()).build();
      });
      case "bare", "bare-virtual-threads", "bare-virtual-threads-traced" -> {
        NettyServerBuilder builder = NettyServerBuilder.forPort(port()).addService(new EchoService());
        if (kind.startsWith("bare-virtual-threads")) {
          builder.executor(Executors.newVirtualThreadPerTaskExecutor());
        }
        if (kind.endsWith("-traced")) {
          Telemetry.fromEnvironment("echo-service").serverInterceptor().ifPresent(builder::intercept);
        }
        Server server = builder.build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "echo-shutdown"));
        server.awaitTermination();
      }
      default -> {
        System.err.println("echo-service: " + new ConfigException(KIND + " must be bare, bare-virtual-threads,"
            + " bare-virtual-threads-traced or chain, got '" + kind + "'").getMessage());
        System.exit(ServiceMain.CONFIG_ERROR);
      }
    }
  }

  /** {@code TRELLIS_GRPC_PORT} (50051 unset); exits with {@link ServiceMain#CONFIG_ERROR} when it is no number. */
  static int port() {
    String port = System.getenv().getOrDefault("TRELLIS_GRPC_PORT", "50051");
    try {
      return Integer.parseInt(port);
    } catch (NumberFormatException e) {
      System.err.println("echo-service: TRELLIS_GRPC_PORT must be a port number, got '" + port + "'");
      System.exit(ServiceMain.CONFIG_ERROR);
      return -1;
    }
  }
}
