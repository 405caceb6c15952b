package dev.trellis.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.order.v1.CreateOrderRequest;
import dev.trellis.order.v1.InventoryServiceGrpc;
import dev.trellis.order.v1.LineItem;
import dev.trellis.order.v1.Order;
import dev.trellis.order.v1.OrderServiceGrpc;
import dev.trellis.order.v1.OrderStatus;
import dev.trellis.order.v1.SetStockRequest;
import dev.trellis.order.v1.ShippingAddress;
import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.client.BearerToken;
import dev.trellis.platform.config.Settings;
import dev.trellis.user.v1.CreateUserRequest;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CreateOrder sagas per second: a closed-loop client in this JVM (async stubs, {@code --in-flight} calls at a time,
 * HdrHistogram latencies) against user-service and order-service running in a JVM of their own
 * ({@link OrderBenchServer}) on 4 embedded PostgreSQL shards, with every rate limit raised. Each call is a whole
 * saga: GetUser over the network, the order stored, stock reserved on the SKU's shard, the payment, shipment and
 * notice simulators (no added latency), the stock confirmed, the order confirmed; users and SKUs are picked at
 * random. After {@code --warmup}, {@code --rounds} rounds of {@code --round}. Run from the repository root:
 * <pre>
 * ./trellis mvn -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.OrderServiceLoad [--in-flight=32] [--warmup=60s] [--rounds=4] [--round=15s] \
 *     [--users=1000] [--skus=64] [--durable=false] [--server-jvm-args="-XX:StartFlightRecording=delay=70s,..."] \
 *     [--json=FILE] [--keep-logs]
 * </pre>
 * The services' log (tens of MB: an access line per call) and state live in a temporary directory, deleted at the
 * end of a run that worked unless {@code --keep-logs}; a run that failed keeps it and names it.
 */
public final class OrderServiceLoad {
  private OrderServiceLoad() {}

  public static void main(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    int inFlight = flags.integer("TRELLIS_IN_FLIGHT", 32, 1, 10_000);
    Duration warmup = flags.duration("TRELLIS_WARMUP", Duration.ofSeconds(60));
    int rounds = flags.integer("TRELLIS_ROUNDS", 4, 1, 100);
    Duration round = flags.duration("TRELLIS_ROUND", Duration.ofSeconds(15));
    int userCount = flags.integer("TRELLIS_USERS", 1000, 1, 1_000_000);
    int skuCount = flags.integer("TRELLIS_SKUS", 64, 1, 100_000);
    boolean durable = flags.bool("TRELLIS_DURABLE", false);
    // Space-separated, so that a flight recording's own commas survive: "-XX:StartFlightRecording=delay=70s,...".
    List<String> serverJvmArgs = List.of(flags.string("TRELLIS_SERVER_JVM_ARGS", "").split("\\s+")).stream()
        .filter(arg -> !arg.isEmpty()).toList();
    Optional<Path> json = flags.optional("TRELLIS_JSON").map(Path::of);
    boolean keepLogs = flags.bool("TRELLIS_KEEP_LOGS", false);
    flags.rejectUnknownFlags();

    Path state = Files.createTempDirectory("trellis-order-load-");
    Path ready = state.resolve("ready");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
    command.addAll(serverJvmArgs);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), OrderBenchServer.class.getName(),
        ready.toString(), state.toString(), Boolean.toString(durable)));
    Process server = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(state.resolve("server.log").toFile()).start();
    OutputStream keepAlive = server.getOutputStream();
    boolean worked = false;
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!Files.exists(ready) || Files.size(ready) == 0) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the bench server did not start; see " + state.resolve("server.log"));
        }
        Thread.sleep(200);
      }
      String[] ports = Files.readString(ready, StandardCharsets.UTF_8).trim().split(" ");
      Map<String, Object> figures = run(Integer.parseInt(ports[0]), Integer.parseInt(ports[1]), state, inFlight,
          warmup, rounds, round, userCount, skuCount, durable, server.toHandle());
      if (json.isPresent()) {
        // For ./trellis bench suite: the same figures, machine-readable.
        figures.put("command", "OrderServiceLoad " + String.join(" ", args));
        new ObjectMapper().writeValue(json.get().toFile(), figures);
      }
      worked = true;
    } finally {
      keepAlive.close(); // the server stops gracefully and deletes its shards
      boolean stopped = server.waitFor(2, TimeUnit.MINUTES);
      if (!stopped) {
        server.destroyForcibly(); // its shards' servers may live on: their files stay
      }
      if (worked && stopped && !keepLogs) {
        deleteRecursively(state);
      } else {
        System.out.println("the services' log and state are kept in " + state);
      }
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** Runs the load and prints what it measured; returns the same figures. */
  private static Map<String, Object> run(int userPort, int orderPort, Path state, int inFlight, Duration warmup,
      int rounds, Duration round, int userCount, int skuCount, boolean durable, ProcessHandle server)
      throws Exception {
    String token = DevTokens.create(AuthConfig.dev(state.resolve("dev-jwt-key.json")), Clock.systemUTC())
        .mint("1", Set.of(Principal.ADMIN), Duration.ofHours(6));
    BearerToken admin = new BearerToken(token);
    // Callbacks on the Netty thread: the client's callbacks only start the next call.
    ManagedChannel users = NettyChannelBuilder.forAddress("127.0.0.1", userPort).usePlaintext().directExecutor()
        .build();
    ManagedChannel orders = NettyChannelBuilder.forAddress("127.0.0.1", orderPort).usePlaintext().directExecutor()
        .build();
    try {
      long[] userIds = createUsers(UserServiceGrpc.newBlockingStub(users).withCallCredentials(admin), userCount);
      InventoryServiceGrpc.InventoryServiceBlockingStub inventory = InventoryServiceGrpc.newBlockingStub(orders)
          .withCallCredentials(admin);
      List<String> skus = new ArrayList<>();
      for (int i = 0; i < skuCount; i++) {
        String sku = "load-" + i;
        inventory.setStock(SetStockRequest.newBuilder().setSku(sku).setAvailable(1_000_000_000_000L)
            .setUnitPriceCents(100 + i).build());
        skus.add(sku);
      }
      OrderServiceGrpc.OrderServiceStub stub = OrderServiceGrpc.newStub(orders).withCallCredentials(admin);
      AtomicLong notConfirmed = new AtomicLong();
      ClosedLoopLoad load = ClosedLoopLoad.of(inFlight, (StreamObserver<Order> observer) ->
          stub.withDeadlineAfter(60, TimeUnit.SECONDS).createOrder(request(userIds, skus), new StreamObserver<>() {
            @Override
            public void onNext(Order order) {
              if (order.getStatus() != OrderStatus.ORDER_STATUS_CONFIRMED) {
                notConfirmed.incrementAndGet();
              }
              observer.onNext(order);
            }

            @Override
            public void onError(Throwable t) {
              observer.onError(t);
            }

            @Override
            public void onCompleted() {
              observer.onCompleted();
            }
          }));
      System.err.printf("warming up for %s (%d users, %d skus, %d in flight, shards %s)%n", warmup, userIds.length,
          skus.size(), inFlight, durable ? "durable (fsync on)" : "fsync off");
      ClosedLoopLoad.Round warm = load.run(warmup);
      System.err.printf("warm-up: %.0f sagas/s, %d failures%n", warm.qps(), warm.failures());
      notConfirmed.set(0);
      CpuTime before = CpuTime.of(server, state);
      List<ClosedLoopLoad.Round> measured = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        ClosedLoopLoad.Round result = load.run(round);
        measured.add(result);
        System.err.printf("round %d: %.0f sagas/s, p50 %d us, p99 %d us, failures %d%n", r + 1, result.qps(),
            result.latencyMicros().getValueAtPercentile(50), result.latencyMicros().getValueAtPercentile(99),
            result.failures());
      }
      CpuTime used = CpuTime.of(server, state).minus(before);
      ClosedLoopLoad.Summary summary = ClosedLoopLoad.Summary.of(measured);
      System.err.println(summary.line("CreateOrder sagas (whole saga)"));
      long sagas = measured.stream().mapToLong(ClosedLoopLoad.Round::calls).sum();
      double perSaga = used.total() / sagas;
      // CPU seconds per saga over everything a saga runs on (both services, PostgreSQL, this client): what the
      // machine's other tenants cannot distort. Two cores give 2 CPU-seconds a second.
      System.err.printf("CPU per saga: %.2f ms (services JVM %.2f, PostgreSQL %.2f, load client %.2f);"
              + " on 2 cores of its own that is at most %.0f sagas/s%n", perSaga * 1000,
          used.services() / sagas * 1000, used.postgres() / sagas * 1000, used.client() / sagas * 1000,
          2 / perSaga);
      System.err.printf("orders not CONFIRMED: %d (goal: 0; stock is plentiful)%n", notConfirmed.get());
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("sagasPerSecond", summary.qps());
      figures.put("p50Micros", summary.p50());
      figures.put("p99Micros", summary.p99());
      figures.put("failures", summary.failures());
      figures.put("notConfirmed", notConfirmed.get());
      figures.put("cpuPerSagaMs", perSaga * 1000);
      figures.put("servicesCpuPerSagaMs", used.services() / sagas * 1000);
      figures.put("postgresCpuPerSagaMs", used.postgres() / sagas * 1000);
      figures.put("clientCpuPerSagaMs", used.client() / sagas * 1000);
      figures.put("inFlight", inFlight);
      return figures;
    } finally {
      users.shutdownNow();
      orders.shutdownNow();
    }
  }

  private static CreateOrderRequest request(long[] userIds, List<String> skus) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return CreateOrderRequest.newBuilder()
        .setUserId(ClosedLoopLoad.anyOf(userIds))
        .addItems(LineItem.newBuilder().setSku(skus.get(random.nextInt(skus.size()))).setQuantity(1))
        .setPaymentToken("tok_visa")
        .setRequestId(UUID.randomUUID().toString())
        .setShippingAddress(ShippingAddress.newBuilder().setRecipient("Load Test").setLine1("1 Bench Street")
            .setCity("Berlin").setPostalCode("10115").setCountryCode("DE"))
        .build();
  }

  /**
   * CPU seconds used so far by the services' JVM, its PostgreSQL servers (each postmaster, named in its data
   * directory's postmaster.pid, and its backends) and this client.
   */
  private record CpuTime(double services, double postgres, double client) {
    static CpuTime of(ProcessHandle server, Path state) throws java.io.IOException {
      double postgres = 0;
      try (var shards = Files.list(state.resolve("shards"))) {
        for (Path pidFile : shards.map(shard -> shard.resolve("pgdata/postmaster.pid")).filter(Files::exists)
            .toList()) {
          long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
          Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
          if (postmaster.isPresent()) {
            postgres += seconds(postmaster.get())
                + postmaster.get().descendants().mapToDouble(CpuTime::seconds).sum();
          }
        }
      }
      return new CpuTime(seconds(server), postgres, seconds(ProcessHandle.current()));
    }

    private static double seconds(ProcessHandle process) {
      return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    CpuTime minus(CpuTime earlier) {
      return new CpuTime(services - earlier.services, postgres - earlier.postgres, client - earlier.client);
    }

    double total() {
      return services + postgres + client;
    }
  }

  /** Creates the buyers through user-service, 32 at a time; returns their ids. */
  private static long[] createUsers(UserServiceGrpc.UserServiceBlockingStub users, int count) throws Exception {
    long[] ids = new long[count];
    List<CompletableFuture<Void>> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int index = i;
      batch.add(CompletableFuture.runAsync(() -> ids[index] = users.withDeadlineAfter(30, TimeUnit.SECONDS)
          .createUser(CreateUserRequest.newBuilder().setEmail("buyer-" + index + "@load.example")
              .setName("Buyer " + index).build()).getId(), Thread::startVirtualThread));
      if (batch.size() == 32) {
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
        batch.clear();
      }
    }
    CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
    return ids;
  }
}
