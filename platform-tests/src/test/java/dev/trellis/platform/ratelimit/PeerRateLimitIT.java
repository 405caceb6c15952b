package dev.trellis.platform.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.CallKind;
import dev.trellis.platform.ScriptedService;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.testing.ErrorDetails;
import dev.trellis.testing.GrpcCleanup;
import dev.trellis.testing.MutableClock;
import dev.trellis.testing.TestTokens;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The per-address limit over real Netty on loopback, where the peer is a real IP address. */
class PeerRateLimitIT {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private final MutableClock clock = MutableClock.startingNow();
  private final TestTokens tokens = TestTokens.create(clock);

  @ParameterizedTest
  @EnumSource(CallKind.class)
  void floodsAreRefusedBeforeAuthWithRetryInfo(CallKind kind) throws IOException {
    Channel channel = start(List.of());
    CallCredentials forged = TestTokens.bearer(TestTokens.create(clock).user(42));

    // No token, then a forged one: auth refuses both, and both count; the third never reaches auth.
    assertThat(kind.call(channel, null, "whoami").status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(kind.call(channel, forged, "whoami").status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    CallKind.Outcome refused = kind.call(channel, null, "whoami");

    assertThat(refused.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.status().getDescription()).isEqualTo("too many requests from this address; retry later");
    assertThat(refused.messages()).isEmpty();
    Duration delay = ErrorDetails.retryDelay(refused.status(), refused.trailers());
    assertThat(delay).as("the refill time of one token, and up to a quarter more")
        .isBetween(Duration.ofMillis(500), Duration.ofMillis(625));

    clock.advance(Duration.ofMillis(499));
    assertThat(kind.call(channel, null, "whoami").status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    clock.advance(Duration.ofMillis(1));
    assertThat(kind.call(channel, null, "whoami").status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void behindATrustedProxyEachForwardedClientHasItsOwnBucket() throws IOException {
    Channel channel = start(List.of(CidrBlock.parse("test", "127.0.0.0/8")));
    Channel alice = forwardedFor(channel, "198.51.100.7, 203.0.113.1");
    Channel bob = forwardedFor(channel, "203.0.113.2");

    call(alice);
    call(alice);
    assertThat(call(alice).status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    assertThat(call(bob).status().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void forwardedForFromAnUntrustedPeerIsIgnored() throws IOException {
    Channel channel = start(List.of(CidrBlock.parse("test", "10.0.0.0/8")));

    call(forwardedFor(channel, "203.0.113.1"));
    call(forwardedFor(channel, "203.0.113.2"));

    // All three count against 127.0.0.1, whatever the header says.
    assertThat(call(forwardedFor(channel, "203.0.113.3")).status().getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  private Channel start(List<CidrBlock> trustedProxies) throws IOException {
    RateLimitConfig limits = new RateLimitConfig(Optional.of(new RateLimit(2, 2)), trustedProxies, Map.of(),
        Map.of());
    TrellisServer server = grpc.register(TrellisServer.builder(ServerConfig.defaults().withPort(0))
        .auth(tokens.authConfig())
        .rateLimits(limits)
        .clock(clock)
        .addUndeclaredService(new ScriptedService())
        .build()
        .start());
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    return grpc.register(channel);
  }

  private static Channel forwardedFor(Channel channel, String value) {
    Metadata headers = new Metadata();
    headers.put(ClientAddress.FORWARDED_FOR, value);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static CallKind.Outcome call(Channel channel) {
    return CallKind.UNARY.call(channel, null, "whoami");
  }
}
