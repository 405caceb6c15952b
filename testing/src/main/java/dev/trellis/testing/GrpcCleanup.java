package dev.trellis.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * grpc-java's GrpcCleanupRule for JUnit 5: register the servers and channels a test starts, and they are shut
 * down after it, channels first, each awaited (a leak fails the test).
 *
 * <pre>{@code
 * @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
 * ManagedChannel channel = grpc.register(InProcessChannelBuilder.forName(name).build());
 * }</pre>
 */
public final class GrpcCleanup implements AfterEachCallback {
  private static final long TERMINATION_SECONDS = 10;

  private final Deque<ManagedChannel> channels = new ArrayDeque<>();
  private final Deque<Server> servers = new ArrayDeque<>();

  public synchronized <T extends ManagedChannel> T register(T channel) {
    channels.push(channel);
    return channel;
  }

  public synchronized <T extends Server> T register(T server) {
    servers.push(server);
    return server;
  }

  /** A name for an in-process server no other test uses. */
  public String uniqueName() {
    return InProcessServerBuilder.generateName();
  }

  @Override
  public synchronized void afterEach(ExtensionContext context) throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
    for (ManagedChannel channel : channels) {
      assertThat(channel.awaitTermination(TERMINATION_SECONDS, TimeUnit.SECONDS))
          .as("channel %s terminated", channel).isTrue();
    }
    for (Server server : servers) {
      assertThat(server.awaitTermination(TERMINATION_SECONDS, TimeUnit.SECONDS))
          .as("server %s terminated", server).isTrue();
    }
    channels.clear();
    servers.clear();
  }
}
