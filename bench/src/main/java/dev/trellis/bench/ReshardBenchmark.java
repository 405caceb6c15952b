package dev.trellis.bench;

import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.client.BearerToken;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.BucketMover;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.reshard.ReshardReport;
import dev.trellis.platform.data.reshard.Resharder;
import dev.trellis.platform.server.ServerConfig;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.server.TrellisService;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.UserServiceGrpc;
import dev.trellis.user.v1.UserServiceGrpc.UserServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * A reshard of user-service's database from 4 to 6 shards while user-service (over Netty, in this process) serves
 * GetUser from {@code --readers} closed-loop clients: rows moved per second, the write pause per bucket (p50, p99,
 * max), and GetUser's latency during the reshard against the same clients' before it, in one run. Run from the
 * repository root: {@code ./trellis bench reshard [--users=20000] [--readers=4] [--before=20s] [--compare=overlap]}.
 */
public final class ReshardBenchmark {
  private ReshardBenchmark() {}

  public static void main(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    int users = flags.integer("TRELLIS_USERS", 20_000, 100, 1_000_000);
    int readers = flags.integer("TRELLIS_READERS", 4, 1, 64);
    Duration before = flags.duration("TRELLIS_BEFORE", Duration.ofSeconds(20));
    // --compare=overlap: four reshards, 4 -> 6 and back twice, the source grace of moved buckets overlapping the
    // next moves (Resharder's default) or waited out bucket by bucket (before), alternating.
    boolean compareOverlap = flags.string("TRELLIS_COMPARE", "").equals("overlap");
    flags.rejectUnknownFlags();
    // One access-log line per call would cost as much as the call: warnings only.
    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
    }

    Path state = Files.createTempDirectory("trellis-reshard-bench-");
    try (EmbeddedShards shards = EmbeddedShards.builder(state.resolve("shards")).shards(6).durable(false)
        .deleteOnClose(true).start()) {
      ShardTopology six = shards.topology("users");
      ShardTopology four = new ShardTopology(six.shards().subList(0, 4));
      Map<String, String> env = new HashMap<>(four.toSettings());
      env.put(AuthConfig.DEV_MODE, "true");
      env.put(AuthConfig.DEV_KEY_FILE, state.resolve("dev-jwt-key.json").toString());
      env.put(ServerConfig.PORT, "0");
      env.put(ShardPoolSettings.DIRECTORY_POLL, "100ms");
      env.put("TRELLIS_RATE_LIMIT_USER", "1000000/1000000");
      env.put("TRELLIS_RATE_LIMIT_ADMIN", "1000000/1000000");
      env.put("TRELLIS_RATE_LIMIT_PEER", "1000000/1000000");
      ServiceRuntime runtime = ServiceRuntime.create("user-service", Settings.of(env));
      TrellisServer server = TrellisService.named("user-service").create(runtime).start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      try {
        String token = DevTokens.create(AuthConfig.dev(state.resolve("dev-jwt-key.json")), Clock.systemUTC())
            .mint("1", Set.of(Principal.ADMIN), Duration.ofHours(6));
        UserServiceBlockingStub stub = UserServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(new BearerToken(token));
        long[] ids = createUsers(stub, users);
        Histogram idle = read(stub, ids, readers, before, null);
        AtomicBoolean done = new AtomicBoolean();
        StepProfile profile = new StepProfile();
        Future<ReshardReport> reshard;
        Histogram during;
        try (ExecutorService mover = Executors.newSingleThreadExecutor()) {
          reshard = mover.submit(() -> {
            try {
              if (compareOverlap) {
                compareOverlap(six);
              }
              return Resharder.builder(six, "classpath:db/migration/users").database("users").shards(6)
                  .grace(Duration.ofMillis(300)).steps(profile).build().run();
            } finally {
              done.set(true);
            }
          });
          during = read(stub, ids, readers, null, done);
        }
        ReshardReport report = reshard.get();
        System.out.println(report.describe());
        System.out.println(profile.describe(report.buckets()));
        System.out.printf("rows moved per second: %.0f (%d rows in %s)%n",
            report.rowsCopied() / (report.duration().toNanos() / 1e9), report.rowsCopied(), report.duration());
        System.out.printf("GetUser before: p50 %.2f ms, p99 %.2f ms (%d calls); during the reshard: p50 %.2f ms,"
            + " p99 %.2f ms (%d calls); p99 during/before %.2f%n", ms(idle, 50), ms(idle, 99), idle.getTotalCount(),
            ms(during, 50), ms(during, 99), during.getTotalCount(), ms(during, 99) / ms(idle, 99));
      } finally {
        channel.shutdownNow();
        server.shutdownNow();
        runtime.close();
      }
    }
  }

  /**
   * 4 -> 6 overlapping, 6 -> 4 not, 4 -> 6 not, 6 -> 4 overlapping (each direction both ways, alternating); the run
   * that follows grows to 6 again (overlapping), as without the comparison.
   */
  private static void compareOverlap(ShardTopology six) {
    double[][] perSide = new double[2][2]; // [overlap?][buckets, seconds]
    int[] targets = {6, 4, 6, 4};
    boolean[] overlap = {true, false, false, true};
    for (int i = 0; i < targets.length; i++) {
      ReshardReport r = Resharder.builder(six, "classpath:db/migration/users").database("users")
          .shards(targets[i]).grace(Duration.ofMillis(300)).overlapRemovals(overlap[i]).build().run();
      double seconds = r.duration().toNanos() / 1e9;
      System.out.printf("%s: %s; %.2f buckets/s, %.0f rows/s%n", overlap[i] ? "overlapping grace" : "grace per bucket",
          r.describe(), r.buckets() / seconds, r.rowsCopied() / seconds);
      perSide[overlap[i] ? 1 : 0][0] += r.buckets();
      perSide[overlap[i] ? 1 : 0][1] += seconds;
    }
    System.out.printf("buckets/s overlapping %.2f, per bucket %.2f: ratio %.2f%n", perSide[1][0] / perSide[1][1],
        perSide[0][0] / perSide[0][1], (perSide[1][0] / perSide[1][1]) / (perSide[0][0] / perSide[0][1]));
  }

  /**
   * Where a bucket's time goes, from the mover's steps as they complete (one mover thread): until COPIED (journal,
   * marking the bucket moving, the copy), until CUT_OVER (the locked catch-up and giving up ownership), until
   * PUBLISHED (the outbox handoff and the directory version on every shard), and the removals of source rows
   * (DONE, after the grace: overlapped with later moves, so their own time, from the step before, is not kept).
   */
  static final class StepProfile implements Consumer<BucketMover.Step> {
    private final Map<BucketMover.Step, Long> total =
        new EnumMap<>(BucketMover.Step.class);
    private long last = System.nanoTime();

    @Override
    public synchronized void accept(BucketMover.Step step) {
      long now = System.nanoTime();
      total.merge(step, now - last, Long::sum);
      last = now;
    }

    synchronized String describe(int buckets) {
      StringBuilder line = new StringBuilder("mean per bucket (ms):");
      total.forEach((step, nanos) -> line.append(String.format(" to %s %.1f;", step, nanos / 1e6 / buckets)));
      return line.toString();
    }
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1000.0;
  }

  private static long[] createUsers(UserServiceBlockingStub stub, int count) throws Exception {
    long[] ids = new long[count];
    AtomicLong next = new AtomicLong();
    try (ExecutorService creators = Executors.newFixedThreadPool(8)) {
      for (int t = 0; t < 8; t++) {
        creators.submit(() -> {
          for (long i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            ids[(int) i] = stub.withDeadlineAfter(30, TimeUnit.SECONDS).createUser(CreateUserRequest.newBuilder()
                .setEmail("bench-" + i + "@example.com").setName("Bench " + i).build()).getId();
          }
          return null;
        });
      }
    }
    return ids;
  }

  /** GetUser of random users from closed-loop readers, for {@code duration} or until {@code until} is set. */
  private static Histogram read(UserServiceBlockingStub stub, long[] ids, int readers, Duration duration,
      AtomicBoolean until) throws Exception {
    Histogram histogram = new ConcurrentHistogram(3);
    long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
    AtomicLong failed = new AtomicLong();
    try (ExecutorService pool = Executors.newFixedThreadPool(readers)) {
      for (int r = 0; r < readers; r++) {
        pool.submit(() -> {
          while (System.nanoTime() < end && (until == null || !until.get())) {
            long id = ids[ThreadLocalRandom.current().nextInt(ids.length)];
            long start = System.nanoTime();
            try {
              stub.withDeadlineAfter(10, TimeUnit.SECONDS).getUser(GetUserRequest.newBuilder().setId(id).build());
              histogram.recordValue((System.nanoTime() - start) / 1000);
            } catch (StatusRuntimeException e) {
              if (failed.incrementAndGet() == 1) {
                System.out.println("first GetUser failure: " + e.getStatus());
              }
            }
          }
          return null;
        });
      }
    }
    if (failed.get() > 0) {
      System.out.println("GetUser failures: " + failed.get());
    }
    return histogram;
  }
}
