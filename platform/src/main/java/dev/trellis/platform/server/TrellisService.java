package dev.trellis.platform.server;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A service the platform can start by name, so that nothing has to import it to start it: the local mesh
 * ({@code ./trellis up}) and the test kit's ServiceExtension find every service on the classpath through
 * {@link ServiceLoader}. A service registers its implementation in
 * {@code META-INF/services/dev.trellis.platform.server.TrellisService}.
 *
 * <pre>{@code
 * public final class UserService implements TrellisService {
 *   public String name() { return "user-service"; }
 *   public int defaultPort() { return 50051; }
 *   public Optional<Database> database() { return Optional.of(new Database("users", List.of(MIGRATIONS))); }
 *   public TrellisServer create(ServiceRuntime runtime) { ... }
 * }
 * }</pre>
 */
public interface TrellisService {
  /** Its name: the logs', its service identity ({@code sub} of its tokens), and how tools ask for it. */
  String name();

  /** Its gRPC port unless {@code TRELLIS_GRPC_PORT} says otherwise, and its port in the local mesh. */
  int defaultPort();

  /**
   * The database it keeps on every shard, if any. One at most: a service reads its shards from one
   * {@code TRELLIS_SHARD_URLS}.
   */
  Optional<Database> database();

  /**
   * Builds the service on {@code runtime} (its settings, telemetry, clock), not yet started: reads its own settings,
   * opens (and by default migrates) its shards, and registers with {@link ServiceRuntime#closeOnStop} what must
   * close after the server has stopped.
   */
  TrellisServer create(ServiceRuntime runtime);

  /**
   * A service's database: its name on embedded shards (a lower-case identifier such as {@code users}) and its
   * Flyway locations (such as {@code classpath:db/migration/users}).
   */
  record Database(String name, List<String> migrations) {
    public Database {
      requireNonNull(name, "name");
      migrations = List.copyOf(requireNonNull(migrations, "migrations"));
    }
  }

  /** Every service on the classpath, by port. */
  static List<TrellisService> all() {
    return ServiceLoader.load(TrellisService.class).stream()
        .map(ServiceLoader.Provider::get)
        .sorted(Comparator.comparingInt(TrellisService::defaultPort))
        .toList();
  }

  /**
   * The service called {@code name}.
   *
   * @throws IllegalArgumentException when no service on the classpath has that name
   */
  static TrellisService named(String name) {
    requireNonNull(name, "name");
    List<TrellisService> all = all();
    return all.stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no service named '" + name + "' on the classpath; there are "
            + all.stream().map(TrellisService::name).toList()));
  }
}
