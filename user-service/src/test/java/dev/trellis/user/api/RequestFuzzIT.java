package dev.trellis.user.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.RawCall;
import dev.trellis.testing.ServiceExtension;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.SubscribeRequest;
import dev.trellis.user.v1.UpdateUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded random-bytes fuzz of a running user-service over Netty on real PostgreSQL: for every method, random
 * bytes and mutations of well-formed requests (bits flipped, bytes cut, inserted, repeated), as admin. Every answer
 * must be a deliberate status, never UNKNOWN or INTERNAL. Bounded by count (and a time budget); the seed is logged,
 * and a failure names the method and the bytes, in hex.
 */
class RequestFuzzIT {
  private static final Logger log = LoggerFactory.getLogger(RequestFuzzIT.class);
  private static final int CALLS_PER_METHOD = 150;
  private static final Duration BUDGET = Duration.ofSeconds(90);
  private static final Set<Status.Code> NEVER = EnumSet.of(Status.Code.UNKNOWN, Status.Code.INTERNAL);

  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");

  @Test
  void randomBytesToEveryMethodGetAProperStatus() {
    long seed = System.nanoTime();
    log.info("request fuzz seed {}", seed);
    Random random = new Random(seed);
    String admin = users.tokens().admin(1);
    Map<String, List<byte[]>> seeds = wellFormed();
    Map<String, Map<Status.Code, Integer>> seen = new TreeMap<>();
    long deadline = System.nanoTime() + BUDGET.toNanos();
    for (MethodDescriptor<?, ?> method : UserServiceGrpc.getServiceDescriptor().getMethods()) {
      String name = method.getBareMethodName();
      boolean endless = name.equals("SubscribeToUpdates");
      for (int i = 0; i < CALLS_PER_METHOD && System.nanoTime() < deadline; i++) {
        List<byte[]> messages = new ArrayList<>();
        int count = method.getType().clientSendsOneMessage() ? 1 : random.nextInt(4);
        for (int m = 0; m < count; m++) {
          messages.add(random.nextInt(3) == 0 ? randomBytes(random) : mutate(random, pick(random, seeds.get(name))));
        }
        RawCall.Outcome outcome = RawCall.call(users.channel(), method, admin, messages,
            endless ? Duration.ofMillis(200) : Duration.ofSeconds(30));
        Status.Code code = outcome.status().getCode();
        assertThat(NEVER).as("%s with %s (seed %d): %s", name, hex(messages), seed, outcome.status())
            .doesNotContain(code);
        seen.computeIfAbsent(name, n -> new TreeMap<>()).merge(code, 1, Integer::sum);
      }
    }
    log.info("request fuzz answers by method: {}", seen);
    assertThat(seen).as("every method was called").hasSize(7);
    assertThat(seen.values().stream().mapToInt(m -> m.getOrDefault(Status.Code.INVALID_ARGUMENT, 0)).sum())
        .as("the fuzz reached validation").isPositive();
  }

  private static Map<String, List<byte[]>> wellFormed() {
    CreateUserRequest create = CreateUserRequest.newBuilder().setEmail("fuzz@example.com").setName("Fuzz")
        .addRoles("user").build();
    return Map.of(
        "GetUser", List.of(GetUserRequest.newBuilder().setId(123456).build().toByteArray()),
        "ListUsers", List.of(ListUsersRequest.newBuilder().setPageSize(5).setFilter("name : \"Fuzz\" AND role = \"user\"")
            .build().toByteArray()),
        "CreateUser", List.of(create.toByteArray()),
        "UpdateUser", List.of(UpdateUserRequest.newBuilder().setId(123456)
            .setUser(User.newBuilder().setName("New").setEmail("new@example.com"))
            .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("name").addPaths("email"))
            .build().toByteArray()),
        "DeleteUser", List.of(dev.trellis.user.v1.DeleteUserRequest.newBuilder().setId(123456).build().toByteArray()),
        "SubscribeToUpdates", List.of(SubscribeRequest.newBuilder().addUserIds(1).addUserIds(2).build().toByteArray()),
        "ImportUsers", List.of(create.toByteArray()));
  }

  private static byte[] pick(Random random, List<byte[]> options) {
    return options.get(random.nextInt(options.size()));
  }

  private static byte[] randomBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(48)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] mutate(Random random, byte[] original) {
    byte[] bytes = original.clone();
    int changes = 1 + random.nextInt(3);
    for (int c = 0; c < changes && bytes.length > 0; c++) {
      int at = random.nextInt(bytes.length);
      switch (random.nextInt(4)) {
        case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> bytes = java.util.Arrays.copyOf(bytes, at);
        case 2 -> bytes[at] = (byte) random.nextInt(256);
        default -> {
          byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
          System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
          longer[at] = (byte) random.nextInt(256);
          bytes = longer;
        }
      }
    }
    return bytes;
  }

  private static String hex(List<byte[]> messages) {
    return messages.stream().map(java.util.HexFormat.of()::formatHex).toList().toString();
  }
}
