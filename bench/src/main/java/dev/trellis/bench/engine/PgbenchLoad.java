package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.measure.LogRecorder;
import dev.trellis.bench.measure.Progress;
import dev.trellis.bench.measure.Recording;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A load driven by pgbench, PostgreSQL's own load tool: what the database itself serves for one statement, the
 * ceiling of any service that runs it. One script per value (at most {@value #MAX_SCRIPTS}, chosen at random per
 * transaction), each setting the variable and running the statement in prepared mode, as the service's driver does.
 * Each client is one connection with one transaction in flight, so {@code -c} is the load's in-flight count.
 */
public final class PgbenchLoad implements Load {
  public static final String BINARY = "pgbench";
  static final int MAX_SCRIPTS = 16;

  private final LoadInfo info;
  private final List<String> baseCommand;
  private final Map<String, String> env;
  private final LoadModel model;
  private final Path workDir;
  private int runs;

  private PgbenchLoad(LoadInfo info, List<String> baseCommand, Map<String, String> env, LoadModel model,
      Path workDir) {
    this.info = info;
    this.baseCommand = baseCommand;
    this.env = env;
    this.model = model;
    this.workDir = workDir;
  }

  /**
   * Where pgbench connects.
   *
   * @param password empty when the server trusts local connections
   */
  public record Database(String host, int port, String user, String password, String name) {
    public Database {
      requireNonNull(host, "host");
      requireNonNull(user, "user");
      requireNonNull(password, "password");
      requireNonNull(name, "name");
    }

    /** From a JDBC URL such as {@code jdbc:postgresql://localhost:5432/users?...}. */
    public static Database ofJdbcUrl(String url, String user, String password) {
      java.net.URI uri = java.net.URI.create(url.substring("jdbc:".length()));
      return new Database(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), user, password,
          uri.getPath().substring(1));
    }

    @Override
    public String toString() {
      return "postgresql://" + user + "@" + host + ":" + port + "/" + name;
    }
  }

  /**
   * @param sql the statement with {@code :variable} where the value goes
   * @param variable the pgbench variable the scripts set
   * @param values the values, one script each (the first {@value #MAX_SCRIPTS})
   */
  public static PgbenchLoad of(String name, Database database, String sql, String variable, List<String> values,
      LoadModel model, Path workDir) throws IOException {
    requireNonNull(sql, "sql");
    requireNonNull(variable, "variable");
    if (values.isEmpty()) {
      throw new IllegalArgumentException("pgbench needs at least one value of :" + variable);
    }
    List<String> command = new ArrayList<>(List.of(BINARY, "-n", "-M", "prepared"));
    List<String> used = values.subList(0, Math.min(values.size(), MAX_SCRIPTS));
    for (int i = 0; i < used.size(); i++) {
      Path script = workDir.resolve(H2loadLoad.slug(name) + "-" + i + ".sql");
      Files.writeString(script, "\\set " + variable + " " + used.get(i) + "\n" + sql.strip()
          + (sql.strip().endsWith(";") ? "" : ";") + "\n");
      command.addAll(List.of("-f", script + "@1"));
    }
    command.addAll(List.of("-h", database.host(), "-p", Integer.toString(database.port()), "-U", database.user(),
        database.name()));
    Map<String, String> env = new HashMap<>();
    if (!database.password().isEmpty()) {
      env.put("PGPASSWORD", database.password());
    }
    List<String> notes = List.of(
        "pgbench " + "runs the statement with " + used.size() + " value" + (used.size() == 1 ? "" : "s") + " of :"
            + variable + " (" + String.join(", ", used.subList(0, Math.min(used.size(), 4)))
            + (used.size() > 4 ? ", ..." : "") + "), one script each, prepared",
        "one connection per client, one transaction in flight on each: -c is the in-flight count; "
            + "--connections does not apply");
    String shown = String.join(" ", command.subList(0, 4)) + " -f <script per value> "
        + String.join(" ", modelArgs(model, Duration.ofSeconds(30), 0)).replace("-T 30", "-T <round length>")
        + " " + String.join(" ", command.subList(command.size() - 7, command.size()));
    LoadInfo info = new LoadInfo(name, BINARY, database.toString(), sql.strip(), "closed loop, "
        + model.inFlight() + " clients" + (model.open() ? String.format(Locale.ROOT, ", paced at %.0f/s",
        model.rate()) : ""), shown, notes);
    return new PgbenchLoad(info, List.copyOf(command), Map.copyOf(env), model, workDir);
  }

  @Override
  public LoadInfo info() {
    return info;
  }

  @Override
  public Round run(Duration settle, Duration duration, long count, Consumer<Progress> progress)
      throws IOException, InterruptedException {
    int run = ++runs;
    // pgbench runs whole seconds: the settling is rounded up to one, and the measured part is what remains.
    long settleSeconds = count > 0 ? 0 : (settle.toMillis() + 999) / 1000;
    String prefix = workDir.resolve(H2loadLoad.slug(info.name()) + "-" + run).toString();
    List<String> command = new ArrayList<>(baseCommand.subList(0, 4));
    command.addAll(modelArgs(model, duration.plusSeconds(settleSeconds), count));
    command.addAll(List.of("-l", "--log-prefix=" + prefix + "-tx"));
    command.addAll(baseCommand.subList(4, baseCommand.size()));
    LogRecorder recorder = new LogRecorder((System.currentTimeMillis() + settleSeconds * 1000) * 1000, 0);
    List<LineTail> tails = new ArrayList<>();
    EngineProcess.Result result;
    try {
      result = EngineProcess.run(command, env, Path.of(prefix), duration.plusSeconds(settleSeconds + 60), pid -> {
        // pgbench writes prefix.<pid>, or prefix.<pid>.<thread> per extra thread.
        if (tails.isEmpty()) {
          tails.add(new LineTail(Path.of(prefix + "-tx." + pid)));
        }
        tails.forEach(t -> t.poll().forEach(line -> PgbenchOutput.addLogLine(line, model.open(), recorder)));
        progress.accept(recorder.progress());
      });
    } finally {
      for (LineTail tail : tails) {
        tail.close();
      }
    }
    if (result.exitCode() != 0) {
      throw new IOException("pgbench exited with " + result.exitCode() + ": "
          + H2loadOutput.tail(result.stderr() + result.stdout(), 600));
    }
    PgbenchOutput summary = PgbenchOutput.parse(result.stdout());
    // Timed: from the settling's end to the last transaction's (pgbench's clock starts after it connected).
    double seconds = count > 0 ? summary.processed() / Math.max(summary.tps(), 1e-9)
        : Math.max(0.001, recorder.measuredSeconds());
    Recording recording = recorder.finish(seconds, System.currentTimeMillis() * 1000);
    deleteLogs(Path.of(prefix + "-tx").getFileName().toString());
    List<String> notes = new ArrayList<>();
    long all = recording.calls() + recorder.settlingCalls();
    if (Math.abs(all - summary.processed() - summary.failed()) > model.inFlight()) {
      notes.add("pgbench's summary says " + summary.processed() + " transactions, its log " + all);
    }
    return new Round(recording, result.cpu(), notes, all);
  }

  private void deleteLogs(String prefix) throws IOException {
    try (DirectoryStream<Path> logs = Files.newDirectoryStream(workDir, prefix + ".*")) {
      for (Path log : logs) {
        Files.deleteIfExists(log);
      }
    }
  }

  /** pgbench's arguments for the load model: clients (one thread), pacing, length. */
  static List<String> modelArgs(LoadModel model, Duration duration, long count) {
    List<String> args = new ArrayList<>(List.of("-c", Integer.toString(model.inFlight()), "-j", "1"));
    if (model.open()) {
      args.addAll(List.of("-R", String.format(Locale.ROOT, "%.0f", model.rate())));
    }
    if (count > 0) {
      args.addAll(List.of("-t", Long.toString(Math.max(1, count / model.inFlight()))));
    } else {
      args.addAll(List.of("-T", Long.toString(Math.max(1, (duration.toMillis() + 500) / 1000))));
    }
    return args;
  }

  @Override
  public void close() {}
}
