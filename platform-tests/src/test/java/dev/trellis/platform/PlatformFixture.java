package dev.trellis.platform;

import dev.trellis.platform.ratelimit.RateLimitConfig;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * A {@link TrellisServer} with the whole chain and the {@link ScriptedService}, on the in-process transport (or
 * Netty on a free port, {@link #startNetty}), with a fake clock and matching test tokens: what most platform tests
 * call through real stubs.
 */
public final class PlatformFixture {
  public final MutableClock clock = MutableClock.startingNow();
  public final TestTokens tokens = TestTokens.create(clock);
  public final ScriptedService service = new ScriptedService();
  /** The in-process name the server listens on. */
  public final String name;
  public final TrellisServer server;
  public final ManagedChannel channel;

  private PlatformFixture(GrpcCleanup grpc, Consumer<TrellisServer.Builder> customize, boolean netty) {
    name = grpc.uniqueName();
    TrellisServer.Builder builder = TrellisServer.builder(ServerConfig.defaults().withPort(0))
        .auth(tokens.authConfig())
        .rateLimits(RateLimitConfig.defaults())
        .clock(clock)
        .addUndeclaredService(service);
    if (!netty) {
      builder.inProcess(name);
    }
    customize.accept(builder);
    try {
      server = grpc.register(builder.build().start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = grpc.register(netty
        ? NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build()
        : InProcessChannelBuilder.forName(name).build());
  }

  public static PlatformFixture start(GrpcCleanup grpc) {
    return new PlatformFixture(grpc, builder -> {}, false);
  }

  public static PlatformFixture start(GrpcCleanup grpc, Consumer<TrellisServer.Builder> customize) {
    return new PlatformFixture(grpc, customize, false);
  }

  /** The same over Netty on a free port, with a plaintext Netty channel (grpc-java's default client limits). */
  public static PlatformFixture startNetty(GrpcCleanup grpc) {
    return new PlatformFixture(grpc, builder -> {}, true);
  }

  public static PlatformFixture startNetty(GrpcCleanup grpc, Consumer<TrellisServer.Builder> customize) {
    return new PlatformFixture(grpc, customize, true);
  }

  public SimpleServiceGrpc.SimpleServiceBlockingStub blocking() {
    return SimpleServiceGrpc.newBlockingStub(channel);
  }

  public SimpleServiceGrpc.SimpleServiceBlockingStub blocking(String token) {
    return blocking().withCallCredentials(TestTokens.bearer(token));
  }

  public SimpleServiceGrpc.SimpleServiceStub async(String token) {
    return SimpleServiceGrpc.newStub(channel).withCallCredentials(TestTokens.bearer(token));
  }
}
