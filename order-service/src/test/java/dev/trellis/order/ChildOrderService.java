package dev.trellis.order;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * order-service in a JVM of its own, started with {@code OrderServiceMain.main} as a deployment starts it, so that
 * a test can kill it for real (SIGKILL: no shutdown hook, no graceful anything) and start another in its place.
 */
final class ChildOrderService implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("order-service serving on port (\\d+)");

  private final Process process;
  private final Path log;
  private final int port;
  final ManagedChannel channel;

  private ChildOrderService(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** Starts the service with exactly these settings as its environment; returns once it serves. */
  static ChildOrderService start(Map<String, String> settings) {
    try {
      Path log = Files.createTempFile("order-service-child-", ".log");
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
          OrderServiceMain.class.getName()));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(log.toFile());
      builder.environment().keySet().removeIf(name -> name.startsWith("TRELLIS_") || name.startsWith("OTEL_"));
      builder.environment().putAll(settings);
      Process process = builder.start();
      int port = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("order-service exited (" + process.exitValue() + "):\n"
              + Files.readString(log, StandardCharsets.UTF_8));
        }
        Matcher serving = SERVING.matcher(Files.readString(log, StandardCharsets.UTF_8));
        return serving.find() ? Integer.parseInt(serving.group(1)) : 0;
      }, p -> p > 0);
      return new ChildOrderService(process, log, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    channel.shutdownNow();
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the child JVM did not die");
    }
  }

  /** What the process logged, for a failure message. */
  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
    channel.shutdownNow();
  }
}
