package dev.trellis.bench;

import dev.trellis.platform.auth.AuthConfig;
import dev.trellis.platform.auth.DevTokens;
import dev.trellis.platform.auth.Principal;
import dev.trellis.platform.client.BearerToken;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.embedded.EmbeddedShards;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.server.ServiceRuntime;
import dev.trellis.platform.server.TrellisServer;
import dev.trellis.platform.telemetry.Telemetry;
import dev.trellis.user.UserService;
import dev.trellis.user.store.UserShards;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.ListUsersRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * user-service under load, on 4 embedded PostgreSQL shards, in one run:
 * <ol>
 *   <li>GetUser over Netty through the whole chain, against raw JDBC running the same point read on pools of the
 *       same size, at the same concurrency, in alternating rounds. Goal: ratio >= 0.70.
 *   <li>ListUsers: one server stream of every user across the 4 shards, in messages per second. Goal: >= 100k/s.
 * </ol>
 * Users are seeded straight into the shards (ids from trellis_next_id, as the service makes them): the point is
 * reading them. Run from the repository root:
 * <pre>
 * ./trellis mvn -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *     dev.trellis.bench.UserServiceLoad [--rounds=4] [--round=5s] [--in-flight=32] [--users=50000] > /dev/null
 * </pre>
 */
public final class UserServiceLoad {
  private static final String POINT_READ =
      "SELECT id, email, name, roles, created_at, updated_at FROM users WHERE id = ?";

  private UserServiceLoad() {}

  public static void main(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    Duration round = flags.duration("TRELLIS_ROUND", Duration.ofSeconds(5));
    int rounds = flags.integer("TRELLIS_ROUNDS", 4, 1, 100);
    int inFlight = flags.integer("TRELLIS_IN_FLIGHT", 32, 1, 10_000);
    int users = flags.integer("TRELLIS_USERS", 50_000, 1_000, 10_000_000);
    flags.rejectUnknownFlags();

    Path state = Files.createTempDirectory("trellis-user-load-");
    try (EmbeddedShards shards = EmbeddedShards.builder(state).shards(4).deleteOnClose(true).start()) {
      ShardTopology topology = shards.topology(UserShards.DATABASE);
      Path key = state.resolve("dev-jwt-key.json");
      Map<String, String> env = new HashMap<>(topology.toSettings());
      // The limiters run their buckets on every call, as in production, but never refuse one here.
      env.putAll(Map.of("TRELLIS_DEV_MODE", "true", "TRELLIS_DEV_KEY_FILE", key.toString(),
          "TRELLIS_GRPC_PORT", "0", "TRELLIS_RATE_LIMIT_ADMIN", "10000000/10000000",
          "TRELLIS_RATE_LIMIT_PEER", "10000000/10000000"));
      // This process's TRELLIS_* variables reach the service too (TRELLIS_LOG_LEVEL=warn drops the access log...).
      Settings settings = Settings.of(System.getenv()).with(env);
      ServiceRuntime runtime = ServiceRuntime.create(UserService.NAME, settings, Telemetry.off(),
          Clock.systemUTC());
      TrellisServer server = new UserService().create(runtime).start();
      ShardedDatabase rawDb = ShardedDatabase.builder(topology).kind("user")
          .pool(ShardPoolSettings.fromSettings(settings)).build();
      // Callbacks run on the Netty thread: the load client's callbacks only start the next call, and a hop to an
      // executor per message would make the client, not the service, the bottleneck on two cores.
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
          .directExecutor().build();
      try {
        long[] ids = seed(rawDb, users);
        String token = DevTokens.create(AuthConfig.dev(key), Clock.systemUTC())
            .mint("1", Set.of(Principal.ADMIN), Duration.ofHours(2));
        UserServiceGrpc.UserServiceStub async = UserServiceGrpc.newStub(channel)
            .withCallCredentials(new BearerToken(token));

        ClosedLoopLoad grpc = ClosedLoopLoad.of(inFlight, (StreamObserver<User> observer) ->
            async.getUser(GetUserRequest.newBuilder().setId(ClosedLoopLoad.anyOf(ids)).build(), observer));
        ClosedLoopLoad jdbc = ClosedLoopLoad.blocking(inFlight, () -> pointRead(rawDb, ClosedLoopLoad.anyOf(ids)));
        System.err.printf("warming up (%d users on %d shards, %d in flight)%n", ids.length, shards.size(), inFlight);
        ClosedLoopLoad.alternate(List.of(grpc, jdbc), 2, Duration.ofSeconds(5));
        List<List<ClosedLoopLoad.Round>> results = ClosedLoopLoad.alternate(List.of(grpc, jdbc), rounds, round);
        ClosedLoopLoad.Summary overGrpc = ClosedLoopLoad.Summary.of(results.get(0));
        ClosedLoopLoad.Summary overJdbc = ClosedLoopLoad.Summary.of(results.get(1));
        System.err.println(overGrpc.line("GetUser over gRPC (whole chain)"));
        System.err.println(overJdbc.line("raw JDBC point read"));
        System.err.printf("GetUser / raw JDBC qps ratio: %.2f (goal >= 0.70)%n", overGrpc.qps() / overJdbc.qps());

        streamAll(async); // warm-up
        double best = 0;
        for (int r = 0; r < rounds; r++) {
          long start = System.nanoTime();
          long count = streamAll(async);
          double perSecond = count / ((System.nanoTime() - start) / 1e9);
          best = Math.max(best, perSecond);
          System.err.printf("ListUsers stream of %d users over %d shards: %.0f messages/s%n",
              count, shards.size(), perSecond);
        }
        System.err.printf("ListUsers best: %.0f messages/s (goal >= 100000)%n", best);
      } finally {
        channel.shutdownNow();
        server.stopGracefully();
        runtime.close();
        rawDb.close();
      }
    }
  }

  /** Streams every user with an async stub (flow control as gRPC does it by default); returns how many came. */
  private static long streamAll(UserServiceGrpc.UserServiceStub stub) throws Exception {
    AtomicLong count = new AtomicLong();
    CompletableFuture<Long> done = new CompletableFuture<>();
    stub.listUsers(ListUsersRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(User user) {
        count.incrementAndGet();
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(count.get());
      }
    });
    return done.get(10, TimeUnit.MINUTES);
  }

  /** The same statement the store runs, on the same shard, through a pool of the same size, mapped by hand. */
  private static void pointRead(ShardedDatabase db, long id) throws Exception {
    try (Connection c = db.shardOfId(id).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement(POINT_READ)) {
      s.setLong(1, id);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("no user " + id);
        }
        User.newBuilder().setId(rs.getLong(1)).setEmail(rs.getString(2)).setName(rs.getString(3))
            .addAllRoles(List.of((String[]) rs.getArray(4).getArray()))
            .setCreatedAt(rs.getObject(5, java.time.OffsetDateTime.class).toEpochSecond())
            .setUpdatedAt(rs.getObject(6, java.time.OffsetDateTime.class).toEpochSecond())
            .build();
      }
    }
  }

  /** Inserts users evenly over the shards, in the shards' own buckets; returns their ids. */
  private static long[] seed(ShardedDatabase db, int users) throws Exception {
    List<Long> ids = new ArrayList<>();
    int perShard = users / db.shards().size();
    for (Shard shard : db.shards()) {
      Integer[] buckets = java.util.Arrays.stream(db.router().directory().bucketsOf(shard.index()))
          .boxed().toArray(Integer[]::new);
      try (Connection c = shard.dataSource().getConnection();
          PreparedStatement s = c.prepareStatement("""
              INSERT INTO users (id, email, name, roles, created_at, updated_at)
              SELECT trellis_next_id((?::int[])[1 + g % ?]), 'load-' || ? || '-' || g || '@example.com',
                     'Load Test User ' || g, '{user}', now(), now()
              FROM generate_series(1, ?) g
              RETURNING id""")) {
        Array array = c.createArrayOf("int4", buckets);
        s.setArray(1, array);
        s.setInt(2, buckets.length);
        s.setInt(3, shard.index());
        s.setInt(4, perShard);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long id = rs.getLong(1);
            if (db.shardOfId(id).index() != shard.index()) {
              throw new IllegalStateException("seeded id " + id + " routes to another shard");
            }
            ids.add(id);
          }
        }
      }
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }
}
