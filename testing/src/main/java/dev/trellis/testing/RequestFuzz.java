package dev.trellis.testing;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded request fuzz of a running service ({@link RawCall} over a real channel): every method gets random bytes
 * and mutations of well-formed requests (bits flipped, bytes cut, overwritten, inserted), and every answer must be a
 * deliberate status, never UNKNOWN or INTERNAL. Bounded by a count per method and a time budget; the seed is logged,
 * and a failure names the method and the messages in hex.
 *
 * <pre>{@code
 * Map<String, Map<Status.Code, Integer>> seen = RequestFuzz.of(UserServiceGrpc.getServiceDescriptor(), wellFormed)
 *     .endless("SubscribeToUpdates").run(users.channel(), admin);
 * }</pre>
 */
public final class RequestFuzz {
  private static final Logger log = LoggerFactory.getLogger(RequestFuzz.class);
  private static final Set<Status.Code> NEVER = EnumSet.of(Status.Code.UNKNOWN, Status.Code.INTERNAL);

  private final ServiceDescriptor service;
  private final Map<String, List<byte[]>> wellFormed;
  private Set<String> endless = Set.of();
  private int callsPerMethod = 150;
  private Duration budget = Duration.ofSeconds(90);

  private RequestFuzz(ServiceDescriptor service, Map<String, List<byte[]>> wellFormed) {
    this.service = requireNonNull(service, "service");
    this.wellFormed = Map.copyOf(wellFormed);
  }

  /** A fuzz of {@code service}, mutating the well-formed requests given per method name (bare, as "GetUser"). */
  public static RequestFuzz of(ServiceDescriptor service, Map<String, List<byte[]>> wellFormed) {
    return new RequestFuzz(service, wellFormed);
  }

  /** Streams that stay open while the service lives: each call ends after 200 ms, which is no failure. */
  public RequestFuzz endless(String... methods) {
    this.endless = Set.of(methods);
    return this;
  }

  /** Calls per method (150 by default) and the time all of them may take (90 s by default). */
  public RequestFuzz bounded(int callsPerMethod, Duration budget) {
    this.callsPerMethod = callsPerMethod;
    this.budget = requireNonNull(budget, "budget");
    return this;
  }

  /**
   * Runs the fuzz with {@code token} (a bearer token) on every call.
   *
   * @return per method, how often each status came back
   */
  public Map<String, Map<Status.Code, Integer>> run(Channel channel, String token) {
    long seed = System.nanoTime();
    log.info("request fuzz of {}, seed {}", service.getName(), seed);
    Random random = new Random(seed);
    Map<String, Map<Status.Code, Integer>> seen = new TreeMap<>();
    long deadline = System.nanoTime() + budget.toNanos();
    for (MethodDescriptor<?, ?> method : service.getMethods()) {
      String name = method.getBareMethodName();
      List<byte[]> originals = requireNonNull(wellFormed.get(name), () -> "no well-formed request for " + name);
      for (int i = 0; i < callsPerMethod && System.nanoTime() < deadline; i++) {
        List<byte[]> messages = new ArrayList<>();
        int count = method.getType().clientSendsOneMessage() ? 1 : random.nextInt(4);
        for (int m = 0; m < count; m++) {
          messages.add(random.nextInt(3) == 0 ? randomBytes(random) : mutate(random, originals));
        }
        RawCall.Outcome outcome = RawCall.call(channel, method, token, messages,
            endless.contains(name) ? Duration.ofMillis(200) : Duration.ofSeconds(30));
        Status.Code code = outcome.status().getCode();
        assertThat(NEVER).as("%s with %s (seed %d): %s", name, hex(messages), seed, outcome.status())
            .doesNotContain(code);
        seen.computeIfAbsent(name, n -> new TreeMap<>()).merge(code, 1, Integer::sum);
      }
    }
    log.info("request fuzz answers by method: {}", seen);
    return seen;
  }

  private static byte[] randomBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(48)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] mutate(Random random, List<byte[]> originals) {
    byte[] bytes = originals.get(random.nextInt(originals.size())).clone();
    int changes = 1 + random.nextInt(3);
    for (int c = 0; c < changes && bytes.length > 0; c++) {
      int at = random.nextInt(bytes.length);
      switch (random.nextInt(4)) {
        case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> bytes = Arrays.copyOf(bytes, at);
        case 2 -> bytes[at] = (byte) random.nextInt(256);
        default -> {
          byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
          System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
          longer[at] = (byte) random.nextInt(256);
          bytes = longer;
        }
      }
    }
    return bytes;
  }

  private static String hex(List<byte[]> messages) {
    return messages.stream().map(HexFormat.of()::formatHex).toList().toString();
  }
}
