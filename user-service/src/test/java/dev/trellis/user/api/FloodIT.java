package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.RawCall;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Floods from one address (127.0.0.2) of what the server must refuse (issue 14): bad tokens, bytes that are no
 * protobuf, messages over the size limit. Each is refused with its status before any database work, and a good
 * caller on another address (127.0.0.1) is served throughout. Its latencies alone and under the flood are printed
 * (the machine is shared and noisy: speed is a benchmark's business, not an assertion here).
 */
class FloodIT {
  /** A small limit, so that an oversized message costs the flood little to send. */
  private static final int MAX_MESSAGE_BYTES = 64 * 1024;
  /** The flood's bound: so many calls per flooding thread, or so long, whichever comes first. */
  private static final int CALLS_PER_THREAD = 800;
  private static final Duration FLOOD_TIME = Duration.ofSeconds(10);

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service")
      .setting("TRELLIS_GRPC_MAX_MESSAGE_BYTES", Integer.toString(MAX_MESSAGE_BYTES));

  /** A channel whose connections leave from 127.0.0.2: another caller's address, on the same machine. */
  private final ManagedChannel flooder = NettyChannelBuilder.forAddress("127.0.0.1", users.port())
      .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
        @Override
        public InetSocketAddress createSocketAddress(SocketAddress remote, Attributes attrs) {
          return new InetSocketAddress("127.0.0.2", 0);
        }
      })
      .usePlaintext().build();

  @AfterEach
  void closeFlooder() {
    flooder.shutdownNow();
  }

  @Test
  void badTokensMalformedAndOversizedMessagesFromOneAddressAreRefusedWhileAnotherIsServed() throws Exception {
    String admin = users.tokens().admin(1);
    // The flood's own admin: a principal's rate limit is its own, so the flood using up its bucket (fast machines
    // send 3,200 calls within the admin burst's refill) must not refuse the good caller, who is someone else.
    String floodAdmin = users.tokens().admin(2);
    User user = users.stub(UserServiceGrpc::newBlockingStub, admin).withDeadlineAfter(30, TimeUnit.SECONDS)
        .createUser(CreateUserRequest.newBuilder().setEmail("flood-target@example.com").setName("Target").build());
    GetUserRequest get = GetUserRequest.newBuilder().setId(user.getId()).build();
    byte[] noProtobuf = HexFormat.of().parseHex("0a01ff12016e"); // email = the byte 0xff: not UTF-8
    byte[] oversized = CreateUserRequest.newBuilder().setEmail("big@example.com")
        .setName("x".repeat(2 * MAX_MESSAGE_BYTES)).build().toByteArray();
    Map<String, Supplier<RawCall.Outcome>> floods = Map.of(
        "bad token", () -> RawCall.call(flooder, UserServiceGrpc.getGetUserMethod(), "not-a-jwt." + System.nanoTime(),
            List.of(get.toByteArray())),
        "malformed protobuf", () -> RawCall.call(flooder, UserServiceGrpc.getCreateUserMethod(), floodAdmin,
            List.of(noProtobuf)),
        "oversized message", () -> RawCall.call(flooder, UserServiceGrpc.getCreateUserMethod(), floodAdmin,
            List.of(oversized)));

    List<Long> alone = goodCalls(get, admin, 200, new AtomicBoolean(true));

    Map<String, Map<Status.Code, AtomicInteger>> refused = new ConcurrentHashMap<>();
    AtomicBoolean flooding = new AtomicBoolean(true);
    ExecutorService threads = Executors.newFixedThreadPool(floods.size() * 2 + 1);
    List<Long> underFlood;
    try {
      List<Future<?>> running = new ArrayList<>();
      long until = System.nanoTime() + FLOOD_TIME.toNanos();
      for (Map.Entry<String, Supplier<RawCall.Outcome>> flood : floods.entrySet()) {
        for (int t = 0; t < 2; t++) {
          running.add(threads.submit(() -> {
            for (int i = 0; i < CALLS_PER_THREAD && System.nanoTime() < until; i++) {
              Status.Code code = flood.getValue().get().status().getCode();
              refused.computeIfAbsent(flood.getKey(), k -> new ConcurrentHashMap<>())
                  .computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
            }
          }));
        }
      }
      // At most 1,500: with the 201 calls before, within the burst (2,000) of the good caller's own address and
      // principal, so that however fast this machine is, a refusal can only come from the flood.
      Future<List<Long>> good = threads.submit(() -> goodCalls(get, admin, 1_500, flooding));
      for (Future<?> flood : running) {
        flood.get(60, TimeUnit.SECONDS);
      }
      flooding.set(false);
      underFlood = good.get(60, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }

    System.out.printf("flood from 127.0.0.2: %s%ngood caller on 127.0.0.1, GetUser: alone p50 %.2f ms p99 %.2f ms"
        + " (%d calls); under the flood p50 %.2f ms p99 %.2f ms (%d calls)%n", refused,
        percentile(alone, 50), percentile(alone, 99), alone.size(),
        percentile(underFlood, 50), percentile(underFlood, 99), underFlood.size());
    // Each is refused with its own status, or with RESOURCE_EXHAUSTED once the flooding address has used up its
    // rate limit; nothing else (above all not INTERNAL or UNKNOWN).
    assertThat(refused.get("bad token")).containsKey(Status.Code.UNAUTHENTICATED);
    assertThat(refused.get("bad token").keySet())
        .isSubsetOf(Status.Code.UNAUTHENTICATED, Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.get("malformed protobuf")).containsKey(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.get("malformed protobuf").keySet())
        .isSubsetOf(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.get("oversized message")).containsOnlyKeys(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(underFlood).as("the good caller was served all along the flood").hasSizeGreaterThan(10);
  }

  /** GetUser from 127.0.0.1, at most {@code count} times while {@code go}; every call must answer the user. */
  private static List<Long> goodCalls(GetUserRequest get, String token, int count, AtomicBoolean go) {
    UserServiceGrpc.UserServiceBlockingStub stub = users.stub(UserServiceGrpc::newBlockingStub, token);
    List<Long> nanos = new ArrayList<>();
    for (int i = 0; i < count && go.get(); i++) {
      long started = System.nanoTime();
      User got = stub.withDeadlineAfter(10, TimeUnit.SECONDS).getUser(get);
      nanos.add(System.nanoTime() - started);
      assertThat(got.getId()).isEqualTo(get.getId());
    }
    return nanos;
  }

  private static double percentile(List<Long> nanos, int p) {
    List<Long> sorted = nanos.stream().sorted().toList();
    return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100)) / 1e6;
  }
}
