package dev.trellis.bench.targets;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A target's JVM, started from the bench's own JDK and classpath: stdout (a service's JSON access log, one line per
 * call, part of what it costs) goes to /dev/null unless kept, stderr to a file whose end is shown when it fails.
 * Closing it sends SIGTERM (the service drains gracefully), then kills it after 30 s.
 */
final class ChildJvm implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path stderr;

  private ChildJvm(String name, Process process, Path stderr) {
    this.name = name;
    this.process = process;
    this.stderr = stderr;
  }

  /** The logging configuration services run with (the platform's): JSON lines through a batching writer thread. */
  static final String SERVICE_LOGGING = "-Dlogback.configurationFile=logback.xml";

  /**
   * @param classpath empty: the bench's own
   */
  static ChildJvm start(String name, String mainClass, List<String> args, List<String> jvmFlags, String classpath,
      Map<String, String> env, Path logDir, boolean keepStdout) throws IOException {
    requireNonNull(mainClass, "mainClass");
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
        "java").toString());
    List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
    // The bench's classpath holds the test kit and its logback-test.xml, which logback would pick before the
    // platform's logback.xml: a target must log as a deployed service does, or the bench measures other work.
    command.add(SERVICE_LOGGING);
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", classpath.isEmpty() ? System.getProperty("java.class.path") : classpath,
        mainClass));
    command.addAll(args);
    Files.createDirectories(logDir);
    Path stdout = logDir.resolve(name + ".out");
    Path stderr = logDir.resolve(name + ".err");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(keepStdout ? ProcessBuilder.Redirect.to(stdout.toFile()) : ProcessBuilder.Redirect.DISCARD)
        .redirectError(stderr.toFile());
    // Only what the profile says, on top of the bench's environment minus its own TRELLIS_* settings.
    builder.environment().keySet().removeIf(k -> k.startsWith("TRELLIS_") || k.startsWith("OTEL_"));
    builder.environment().putAll(env);
    return new ChildJvm(name, builder.start(), stderr);
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** The first lines the JVM wrote to stderr (where an exception names itself): why it did not start. */
  String stderrHead() {
    try {
      List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(0, Math.min(lines.size(), 8)))
          + (lines.size() > 8 ? "\n\t... (all of it in " + stderr + ")" : "");
    } catch (IOException e) {
      return "(no stderr: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      System.err.println("bench: " + name + " did not stop within 30 s of SIGTERM; killing it");
      process.destroyForcibly().waitFor();
    }
  }
}
