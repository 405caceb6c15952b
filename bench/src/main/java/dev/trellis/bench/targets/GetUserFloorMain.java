package dev.trellis.bench.targets;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.user.v1.GetUserRequest;
import dev.trellis.user.v1.User;
import dev.trellis.user.v1.UserServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * The floor under GetUser on this machine: bare grpc-java answering {@code UserService/GetUser} with the store's
 * statement over raw JDBC on a HikariCP pool per shard, in the cheapest shape found here (grpc-java's direct executor,
 * the handler handing each call to one virtual thread: the services' own hand-off, without its chain), and nothing
 * else: no interceptor, no auth, no limits, no log line, no jOOQ, no bucket directory read (the shards' first ranges,
 * as the bench seeds them). What any gRPC server pays here for a point read from PostgreSQL, so that the service's
 * ratio to pgbench can be read against what the machine allows.
 *
 * <p>With {@code TRELLIS_FLOOR_THREADS=transport} ({@code getuser-floor-blocking}) the read blocks the transport's
 * thread instead: no hand-off at all, and every call on that connection waits for the database, which no server
 * should do; it is measured to show what the hand-offs cost.
 *
 * <p>Runs beside user-service (bench.json {@code getuser-floor} needs it: the schema and the seeded rows are its).
 */
public final class GetUserFloorMain {
  private static final String SQL =
      "SELECT id, email, name, roles, created_at, updated_at FROM users WHERE id = ?";

  static final String THREADS = "TRELLIS_FLOOR_THREADS";

  private GetUserFloorMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Settings settings = Settings.fromProcess(args);
    ShardTopology topology = ShardTopology.fromSettings(settings);
    List<HikariDataSource> pools = topology.shards().stream().map(GetUserFloorMain::pool).toList();
    BucketDirectory directory = BucketDirectory.evenRanges(topology.size());
    Server server = NettyServerBuilder.forPort(EchoServerMain.port())
        .directExecutor()
        .addService(new FloorUserService(pools, directory))
        .build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      pools.forEach(HikariDataSource::close);
    }, "floor-shutdown"));
    server.awaitTermination();
  }

  private static HikariDataSource pool(ShardSpec shard) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(shard.jdbcUrl());
    config.setUsername(shard.user());
    config.setPassword(shard.password());
    int size = Runtime.getRuntime().availableProcessors() * 2 + 1; // as the bench's raw JDBC baseline
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(size);
    config.setPoolName("floor-" + shard.name());
    return new HikariDataSource(config);
  }

  private static final class FloorUserService extends UserServiceGrpc.UserServiceImplBase {
    private final List<HikariDataSource> pools;
    private final BucketDirectory directory;
    private final Executor threads;

    FloorUserService(List<HikariDataSource> pools, BucketDirectory directory) {
      this.pools = pools;
      this.directory = directory;
      this.threads = System.getenv().getOrDefault(THREADS, "virtual").equals("transport")
          ? Runnable::run : Executors.newVirtualThreadPerTaskExecutor();
    }

    @Override
    public void getUser(GetUserRequest request, StreamObserver<User> response) {
      threads.execute(() -> read(request.getId(), response)); // a virtual thread, or the transport's (blocking)
    }

    private void read(long id, StreamObserver<User> response) {
      HikariDataSource pool = pools.get(directory.shardOf(ShardId.bucketOf(id)));
      try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(SQL)) {
        s.setLong(1, id);
        try (ResultSet row = s.executeQuery()) {
          if (!row.next()) {
            response.onError(Status.NOT_FOUND.withDescription("no user " + id).asRuntimeException());
            return;
          }
          Array roles = row.getArray(4);
          User user = User.newBuilder()
              .setId(row.getLong(1))
              .setEmail(row.getString(2))
              .setName(row.getString(3))
              .addAllRoles(List.of((String[]) roles.getArray()))
              .setCreatedAt(row.getObject(5, OffsetDateTime.class).toEpochSecond())
              .setUpdatedAt(row.getObject(6, OffsetDateTime.class).toEpochSecond())
              .build();
          response.onNext(user);
          response.onCompleted();
        }
      } catch (SQLException e) {
        response.onError(Status.UNAVAILABLE.withDescription("the shard failed").asRuntimeException());
      }
    }
  }
}
