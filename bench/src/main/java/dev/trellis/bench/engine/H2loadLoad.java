package dev.trellis.bench.engine;

import static java.util.Objects.requireNonNull;

import dev.trellis.bench.call.GrpcFrame;
import dev.trellis.bench.measure.LogRecorder;
import dev.trellis.bench.measure.Progress;
import dev.trellis.bench.measure.Recording;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A load driven by h2load (nghttp2's HTTP/2 load generator, written in C): the reference for unary gRPC, which it
 * posts as a prebuilt length-prefixed frame, and for HTTP through the edge, over HTTP/1.1 ({@code --h1}) or h2c
 * (HTTP/2 with prior knowledge, the connections and streams of a gRPC load). Every request goes to
 * {@code --log-file}, which the bench reads into the same histogram and timeline as its own loads.
 *
 * <p>h2load repeats one request body, so every call sends the same request; and it counts HTTP statuses only. The
 * bench therefore probes the grpc-status with its own client before and after (see {@link GrpcProbe}).
 */
public final class H2loadLoad implements Load {
  public static final String BINARY = "h2load";

  private final LoadInfo info;
  private final List<String> baseCommand;
  private final LoadModel model;
  private final boolean http1;
  private final Path workDir;
  private int runs;

  private H2loadLoad(LoadInfo info, List<String> baseCommand, LoadModel model, boolean http1, Path workDir) {
    this.info = info;
    this.baseCommand = baseCommand;
    this.model = model;
    this.http1 = http1;
    this.workDir = workDir;
  }

  /** Unary gRPC: {@code request} (a serialized message) framed and posted to {@code /<service>/<method>}. */
  public static H2loadLoad grpc(String name, String host, int port, String fullMethod, byte[] request,
      String requestJson, LoadModel model, Optional<String> token, Path workDir) throws IOException {
    requireNonNull(fullMethod, "fullMethod");
    Path frame = workDir.resolve(slug(name) + ".frame");
    Files.write(frame, GrpcFrame.of(request));
    List<String> command = new ArrayList<>(List.of(BINARY, "-d", frame.toString(),
        "-H", "content-type: application/grpc", "-H", "te: trailers"));
    token.ifPresent(t -> command.addAll(List.of("-H", "authorization: Bearer " + t)));
    String url = "http://" + host + ":" + port + "/" + fullMethod;
    List<String> notes = List.of(
        "h2load sends one request body for every call: " + requestJson,
        "h2load counts HTTP statuses, not grpc-status: a gRPC error is an HTTP 200; the probes before and after"
            + " the load read the grpc-status");
    LoadInfo info = new LoadInfo(name, BINARY, host + ":" + port, fullMethod + " " + requestJson,
        model.describe(), display(command, model, false, url, token), notes);
    return new H2loadLoad(info, withUrl(command, url), model, false, workDir);
  }

  /**
   * HTTP to {@code url}, with {@code body} as JSON when not empty: HTTP/1.1 ({@code http1}, h2load {@code --h1}), or
   * h2c with prior knowledge.
   */
  public static H2loadLoad http(String name, String url, String method, String body, LoadModel model, boolean http1,
      Optional<String> token, Path workDir) throws IOException {
    List<String> command = new ArrayList<>(List.of(BINARY));
    if (http1) {
      command.add("--h1");
    }
    if (!body.isEmpty()) {
      Path file = workDir.resolve(slug(name) + ".body");
      Files.writeString(file, body);
      command.addAll(List.of("-d", file.toString(), "-H", "content-type: application/json"));
    }
    if (!method.equals("GET") && !method.equals("POST")) {
      throw new IllegalArgumentException("h2load sends GET, or POST with a body; use the java engine for "
          + method);
    }
    if (method.equals("POST") && body.isEmpty()) {
      throw new IllegalArgumentException("h2load POSTs only with a body");
    }
    token.ifPresent(t -> command.addAll(List.of("-H", "authorization: Bearer " + t)));
    List<String> notes = new ArrayList<>(List.of("h2load sends one request for every call: " + method + " " + url));
    notes.add(http1
        ? "HTTP/1.1 carries one request at a time on a connection (no pipelining, as REST clients do): "
            + model.inFlight() + " connections for " + model.inFlight() + " in flight"
        : "h2c (HTTP/2 without TLS, prior knowledge): " + model.connections() + " connections, "
            + model.perConnection() + " streams each, as a gRPC load");
    LoadInfo info = new LoadInfo(name, BINARY + (http1 ? " --h1" : " h2c"), url, method + " " + url
        + (body.isEmpty() ? "" : " " + body), model.describe(), display(command, model, http1, url, token), notes);
    return new H2loadLoad(info, withUrl(command, url), model, http1, workDir);
  }

  @Override
  public LoadInfo info() {
    return info;
  }

  @Override
  public Round run(Duration settle, Duration duration, long count, Consumer<Progress> progress)
      throws IOException, InterruptedException {
    int run = ++runs;
    Duration length = count > 0 ? duration : settle.plus(duration);
    Path log = workDir.resolve(slug(info.name()) + "-" + run + ".log");
    List<String> command = new ArrayList<>(baseCommand.subList(0, baseCommand.size() - 1));
    command.addAll(modelArgs(model, http1, length, count));
    command.add("--log-file=" + log);
    command.add(baseCommand.get(baseCommand.size() - 1));
    // h2load's rate pacing times a request from when it is sent: correct with each client's interval.
    long measureFrom = (System.currentTimeMillis() + (count > 0 ? 0 : settle.toMillis())) * 1000;
    LogRecorder recorder = new LogRecorder(measureFrom, model.open()
        ? Math.max(1, Math.round(1e6 * clients(model, http1) / model.rate())) : 0);
    Duration limit = length.plusSeconds(60);
    EngineProcess.Result result;
    try (LineTail tail = new LineTail(log)) {
      result = EngineProcess.run(command, Map.of(), workDir.resolve(slug(info.name()) + "-" + run), limit, pid -> {
        tail.poll().forEach(line -> H2loadOutput.addLogLine(line, recorder));
        progress.accept(recorder.progress());
      });
      tail.poll().forEach(line -> H2loadOutput.addLogLine(line, recorder));
    }
    if (result.exitCode() != 0) {
      throw new IOException("h2load exited with " + result.exitCode() + ": " + H2loadOutput.tail(
          result.stderr() + result.stdout(), 600));
    }
    H2loadOutput summary = H2loadOutput.parse(result.stdout());
    List<String> notes = new ArrayList<>();
    if (summary.errored() + summary.timeout() > 0) {
      notes.add(String.format(Locale.ROOT, "h2load: %d requests errored and %d timed out (no response)",
          summary.errored(), summary.timeout()));
    }
    // A timed run is measured from the settling's end to h2load's; a counted one (no settling) as h2load timed it.
    double seconds = count > 0 ? summary.seconds() : Math.max(0.001, summary.seconds() - settle.toNanos() / 1e9);
    Recording recording = recorder.finish(seconds, System.currentTimeMillis() * 1000);
    Files.deleteIfExists(log); // millions of lines; the recording holds what they said
    return new Round(recording, result.cpu(), notes, recording.calls() + recorder.settlingCalls());
  }

  /** h2load's arguments for the load model over HTTP/2: clients, streams per client, pacing, length. */
  static List<String> modelArgs(LoadModel model, Duration duration, long count) {
    return modelArgs(model, false, duration, count);
  }

  /**
   * h2load's arguments for the load model: clients, streams per client, pacing, length. Over HTTP/2 the calls in
   * flight spread over the connections as streams; over HTTP/1.1 each is a connection of its own.
   */
  static List<String> modelArgs(LoadModel model, boolean http1, Duration duration, long count) {
    int clients = clients(model, http1);
    List<String> args = new ArrayList<>(List.of("-t", "1", "-c", Integer.toString(clients),
        "-m", Integer.toString(http1 ? 1 : model.perConnection())));
    if (model.open()) {
      args.add(String.format(Locale.ROOT, "--rps=%.3f", model.rate() / clients));
    }
    if (count > 0) {
      args.addAll(List.of("-n", Long.toString(Math.max(count, clients))));
    } else {
      args.addAll(List.of("-D", Math.max(1, duration.toMillis()) + "ms"));
    }
    return args;
  }

  /** h2load's clients (-c): connections over HTTP/2, one per call in flight over HTTP/1.1. */
  private static int clients(LoadModel model, boolean http1) {
    return http1 ? model.inFlight() : model.connections();
  }

  private static List<String> withUrl(List<String> command, String url) {
    List<String> all = new ArrayList<>(command);
    all.add(url);
    return List.copyOf(all);
  }

  /** The command as the report shows it: the token elided, the model's arguments for a 30 s run. */
  private static String display(List<String> command, LoadModel model, boolean http1, String url,
      Optional<String> token) {
    List<String> shown = new ArrayList<>();
    for (String arg : command) {
      shown.add(token.isPresent() && arg.contains(token.get()) ? "'authorization: Bearer $TOKEN'"
          : arg.contains(" ") ? "'" + arg + "'" : arg);
    }
    shown.addAll(modelArgs(model, http1, Duration.ofSeconds(30), 0).stream()
        .map(a -> a.equals("30000ms") ? "<round length>" : a).toList());
    shown.add(url);
    return String.join(" ", shown);
  }

  static String slug(String name) {
    return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
  }

  @Override
  public void close() {}
}
