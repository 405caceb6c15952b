package dev.trellis.bench.run;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.bench.report.BenchReport;
import dev.trellis.bench.report.MachineInfo;
import dev.trellis.bench.targets.BenchConfig;
import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.logging.ProcessLogging;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./trellis bench suite}: every figure of BENCHMARKS.md measured in one run, step after step (suite.json),
 * into one table with the machine and the exact commands; {@code --write BENCHMARKS.md} puts it in the page between
 * its markers, so the page always shows one run (history is in git).
 */
public final class BenchSuite {
  static final String BEGIN = "<!-- bench suite: written by ./trellis bench suite --write BENCHMARKS.md -->";
  static final String END = "<!-- end of bench suite -->";
  private static final String RESOURCE = "/dev/trellis/bench/suite.json";
  private static final List<String> QUICK = List.of("--warmup", "off", "--duration", "4s", "--rounds", "2",
      "--seed", "2000");

  /** The steps of suite.json. */
  record Suite(List<Step> steps) {}

  /**
   * One step.
   *
   * @param kind bench, main, startup or pending
   * @param quickArgs a main's args under {@code --quick} (default: the data layer's few short rounds)
   * @param command how to run a main step by hand, for the table's list of commands
   */
  record Step(String name, String kind, String title, List<String> args, String main, List<String> quickArgs,
      String command, List<Figure> figures) {
    Step {
      args = args == null ? List.of() : List.copyOf(args);
      quickArgs = quickArgs == null ? List.of("--rounds=2", "--seconds=1") : List.copyOf(quickArgs);
      command = command == null ? "./trellis bench data-layer" : command;
      figures = List.copyOf(figures);
      if (!Set.of("bench", "main", "startup", "pending").contains(kind)) {
        throw new ConfigException("suite step " + name + ": kind is bench, main, startup or pending, got " + kind);
      }
    }
  }

  /**
   * One row of the table: a ratio of two sides' calls/s, a difference of two sides' latency percentile
   * ({@code metric} p50 or p99, in ms), a metric of a side, or a key of the step's JSON.
   *
   * @param goal such as {@code >= 0.85} (met or missed is read from it), or free text
   * @param pending why the row has no figure yet
   */
  record Figure(String row, List<String> ratio, List<String> difference, String side, String metric, String key,
      String goal, String pending) {}

  /** A row as measured. */
  record Row(String what, String measured, String goal, String verdict, String detail) {}

  private final Path root;
  private final PrintStream out;

  public BenchSuite(Path root, PrintStream out) {
    this.root = requireNonNull(root, "root");
    this.out = requireNonNull(out, "out");
  }

  /** Runs the suite with its flags ({@code --quick}, {@code --only a,b}, {@code --write FILE}, {@code --out DIR}). */
  public int run(String[] args) throws Exception {
    Settings flags = Settings.of(Map.of(), args);
    boolean quick = flags.bool("TRELLIS_QUICK", false);
    List<String> only = flags.list("TRELLIS_ONLY");
    Optional<Path> write = flags.optional("TRELLIS_WRITE").map(root::resolve);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = flags.path("TRELLIS_OUT", root.resolve("bench-results").resolve(stamp + "-suite"));
    String progress = flags.string("TRELLIS_PROGRESS", "auto");
    flags.rejectUnknownFlags();
    ProcessLogging.configure(BenchSuite.class.getResource(BenchRun.LOG_CONFIGURATION),
        dir.resolve("logs").resolve("bench.log"));
    Suite suite = load();
    double loadAtStart = MachineInfo.loadAverage();
    Instant started = Instant.now();
    List<Row> rows = new ArrayList<>();
    List<String> commands = new ArrayList<>();
    for (Step step : suite.steps()) {
      if (!only.isEmpty() && !only.contains(step.name())) {
        continue;
      }
      out.println("== " + step.name() + ": " + step.title());
      Path stepDir = dir.resolve(step.name());
      Files.createDirectories(stepDir);
      try {
        switch (step.kind()) {
          case "bench" -> {
            List<String> stepArgs = new ArrayList<>(step.args());
            if (quick) {
              stepArgs.addAll(QUICK);
            }
            commands.add(step.name() + ": `" + BenchOptions.commandLine(stepArgs.toArray(String[]::new)) + "`");
            stepArgs.addAll(List.of("--out", stepDir.toString(), "--progress", progress));
            BenchOptions options = BenchOptions.parse(stepArgs.toArray(String[]::new), root);
            BenchReport report = new BenchRun(options, BenchConfig.packaged(), out, System.err).run();
            step.figures().forEach(f -> rows.add(fromReport(f, report)));
          }
          case "main" -> {
            Map<String, Object> figures = runMain(step, stepDir, quick);
            commands.add(step.name() + ": `" + step.command() + " " + String.join(" ", step.args()) + "`");
            step.figures().forEach(f -> rows.add(fromKey(f, figures)));
          }
          case "startup" -> {
            Map<String, Object> figures = StartupTiming.measure(root, stepDir);
            commands.add(step.name() + ": " + figures.get("command"));
            step.figures().forEach(f -> rows.add(fromKey(f, figures)));
          }
          default -> step.figures().forEach(f -> rows.add(new Row(f.row(), "pending: " + f.pending(), f.goal(),
              "", "")));
        }
      } catch (IOException | RuntimeException e) {
        out.println("== " + step.name() + " failed: " + e.getMessage());
        step.figures().forEach(f -> rows.add(new Row(f.row(), "failed", f.goal(), "",
            String.valueOf(e.getMessage()).lines().findFirst().orElse(""))));
      }
    }
    String block = markdown(rows, commands, started, loadAtStart, quick, String.join(" ", args));
    Files.writeString(dir.resolve("summary.md"), block, StandardCharsets.UTF_8);
    out.println();
    out.println(block);
    if (write.isPresent()) {
      replaceBlock(write.get(), block);
      out.println("wrote the table into " + write.get());
    }
    return rows.stream().anyMatch(r -> r.measured().equals("failed")) ? 1 : 0;
  }

  static Suite load() throws IOException {
    try (InputStream in = BenchSuite.class.getResourceAsStream(RESOURCE)) {
      return new ObjectMapper().enable(JsonParser.Feature.ALLOW_COMMENTS)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .readValue(in, Suite.class);
    }
  }

  /** A figure of a bench run's report. */
  static Row fromReport(Figure f, BenchReport report) {
    if (f.ratio() != null) {
      for (BenchReport.Ratio r : report.ratios()) {
        if (r.side().equals(f.ratio().get(0)) && r.baseline().equals(f.ratio().get(1))) {
          BenchReport.Side a = side(report, r.side());
          BenchReport.Side b = side(report, r.baseline());
          String detail = String.format(Locale.ROOT, "rounds %s (median %s); %s %,.0f/s (p50 %s, p99 %s), %s"
                  + " %,.0f/s (p50 %s, p99 %s)", String.join(" ", r.perRound().stream().map(BenchSuite::two)
                  .toList()), two(r.median()),
              a.name(), a.total().callsPerSecond(), ms(a.total().latencyMicros().p50()),
              ms(a.total().latencyMicros().p99()), b.name(), b.total().callsPerSecond(),
              ms(b.total().latencyMicros().p50()), ms(b.total().latencyMicros().p99()))
              + "; CPU per call: " + cpu(a) + "; " + cpu(b);
          return row(f, r.value(), two(r.value()), detail);
        }
      }
      throw new ConfigException("no ratio " + f.ratio() + " in the report");
    }
    if (f.difference() != null) {
      return latencyDifference(f, side(report, f.difference().get(0)), side(report, f.difference().get(1)));
    }
    BenchReport.Side s = side(report, f.side());
    return switch (f.metric()) {
      case "messagesPerSecond" -> row(f, s.total().messagesPerSecond(), String.format(Locale.ROOT, "%,.0f",
          s.total().messagesPerSecond()), String.format(Locale.ROOT, "%,.1f streams/s of %,.0f messages; per"
              + " round %s", s.total().callsPerSecond(), s.total().messagesPerSecond()
              / Math.max(s.total().callsPerSecond(), 1e-9), String.join(" ", s.rounds().stream()
              .map(x -> String.format(Locale.ROOT, "%,.0f", x.messagesPerSecond())).toList())));
      case "callsPerSecond" -> row(f, s.total().callsPerSecond(), String.format(Locale.ROOT, "%,.0f",
          s.total().callsPerSecond()), "");
      case "firstMinuteOverSteady" -> {
        double early = s.warmup().slices().stream().filter(x -> x.endSecond() <= 61)
            .mapToDouble(BenchReport.WarmupSlice::callsPerSecond).average().orElse(0);
        double value = early / Math.max(s.total().callsPerSecond(), 1e-9);
        yield row(f, value, two(value), String.format(Locale.ROOT, "%,.0f calls/s over the first minute's 5 s "
                + "slices (%s) against %,.0f once warm; %s", early, String.join(" ", s.warmup().slices().stream()
                .filter(x -> x.endSecond() <= 61).map(x -> String.format(Locale.ROOT, "%,.0f", x.callsPerSecond()))
                .toList()), s.total().callsPerSecond(), s.warmup().verdict()));
      }
      default -> throw new ConfigException("unknown metric " + f.metric());
    };
  }

  /**
   * What side {@code a} adds to side {@code b}'s latency at a percentile (p50 or p99), in milliseconds: over all
   * rounds, with each round's difference in the detail.
   */
  static Row latencyDifference(Figure f, BenchReport.Side a, BenchReport.Side b) {
    ToLongFunction<BenchReport.Latency> total = switch (f.metric()) {
      case "p50" -> BenchReport.Latency::p50;
      case "p99" -> BenchReport.Latency::p99;
      default -> throw new ConfigException("a difference compares p50 or p99, not " + f.metric());
    };
    ToLongFunction<BenchReport.Round> perRound = f.metric().equals("p50")
        ? BenchReport.Round::p50Micros : BenchReport.Round::p99Micros;
    double value = (total.applyAsLong(a.total().latencyMicros()) - total.applyAsLong(b.total().latencyMicros()))
        / 1000.0;
    List<String> rounds = new ArrayList<>();
    for (int r = 0; r < Math.min(a.rounds().size(), b.rounds().size()); r++) {
      rounds.add(String.format(Locale.ROOT, "%+.2f", (perRound.applyAsLong(a.rounds().get(r))
          - perRound.applyAsLong(b.rounds().get(r))) / 1000.0));
    }
    String detail = String.format(Locale.ROOT, "%s added per round (ms): %s; %s %,.0f/s (p50 %s, p99 %s), %s"
            + " %,.0f/s (p50 %s, p99 %s)", f.metric(), String.join(" ", rounds), a.name(),
        a.total().callsPerSecond(), ms(a.total().latencyMicros().p50()), ms(a.total().latencyMicros().p99()),
        b.name(), b.total().callsPerSecond(), ms(b.total().latencyMicros().p50()),
        ms(b.total().latencyMicros().p99())) + "; CPU per call: " + cpu(a) + "; " + cpu(b);
    return row(f, value, String.format(Locale.ROOT, "%+.2f ms", value), detail);
  }

  /** A figure of a step's JSON. */
  static Row fromKey(Figure f, Map<String, Object> figures) {
    Object value = figures.get(f.key());
    if (!(value instanceof Number number)) {
      throw new ConfigException("no figure '" + f.key() + "' in " + figures.keySet());
    }
    String detail = String.join(", ", figures.entrySet().stream()
        .filter(e -> e.getValue() instanceof Number && !e.getKey().equals(f.key()))
        .map(e -> e.getKey() + " " + number(((Number) e.getValue()).doubleValue())).toList());
    return row(f, number.doubleValue(), number(number.doubleValue()), detail);
  }

  private static Row row(Figure f, double value, String shown, String detail) {
    return new Row(f.row(), "**" + shown + "**", f.goal(), verdict(f.goal(), value), detail);
  }

  /** "met" or "missed" for a goal such as {@code >= 0.85} or {@code < 10}; empty when there is none to check. */
  static String verdict(String goal, double value) {
    Matcher m = Pattern.compile("^\\s*(>=|<=|>|<)\\s*([0-9][0-9,]*(?:\\.[0-9]+)?)").matcher(goal == null ? ""
        : goal);
    if (!m.find()) {
      return "";
    }
    double bound = Double.parseDouble(m.group(2).replace(",", ""));
    boolean met = switch (m.group(1)) {
      case ">=" -> value >= bound;
      case "<=" -> value <= bound;
      case ">" -> value > bound;
      default -> value < bound;
    };
    return met ? "met" : "missed";
  }

  private Map<String, Object> runMain(Step step, Path dir, boolean quick) throws IOException, InterruptedException {
    Path json = dir.resolve("figures.json");
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), step.main()));
    command.addAll(quick ? step.quickArgs() : step.args());
    command.add("--json=" + json);
    Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(dir.resolve("output.log").toFile()).start();
    if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException(step.main() + " failed; see " + dir.resolve("output.log"));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> figures = new ObjectMapper().readValue(json.toFile(), LinkedHashMap.class);
    return figures;
  }

  private static String markdown(List<Row> rows, List<String> commands, Instant started, double loadAtStart,
      boolean quick, String args) {
    BenchReport.Machine m = MachineInfo.current(loadAtStart);
    StringBuilder md = new StringBuilder();
    md.append(BEGIN).append('\n');
    md.append(String.format(Locale.ROOT, "Measured %s UTC%s on %d cores (%s), %.1f GiB, %s, %s; load average %.1f"
            + " at the start, %.1f at the end. Command: `./trellis bench suite%s`.%n%n",
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").format(started.atOffset(ZoneOffset.UTC)),
        quick ? " (QUICK: no warm-up, seconds-long rounds; not for reading)" : "", m.cores(), m.cpu(),
        m.memoryBytes() / (1024.0 * 1024 * 1024), m.os(), m.java(), m.loadAverageAtStart(), m.loadAverageAtEnd(),
        args.isEmpty() ? "" : " " + args));
    md.append("| what | measured | goal | | detail |\n|---|---|---|---|---|\n");
    for (Row r : rows) {
      md.append("| ").append(r.what()).append(" | ").append(r.measured()).append(" | ").append(r.goal())
          .append(" | ").append(r.verdict()).append(" | ").append(r.detail().replace("|", "\\|")).append(" |\n");
    }
    md.append("\nThe steps, in the order they ran (each step's JSON and HTML reports are in bench-results/):\n\n");
    for (String c : commands) {
      md.append("- ").append(c).append('\n');
    }
    return md.append(END).append('\n').toString();
  }

  /** Puts {@code block} between the markers of {@code file} (or at its end when it has none). */
  static void replaceBlock(Path file, String block) throws IOException {
    String page = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    int begin = page.indexOf(BEGIN);
    int end = page.indexOf(END);
    String updated = begin >= 0 && end > begin
        ? page.substring(0, begin) + block + page.substring(end + END.length()).replaceFirst("^\\n", "")
        : page + (page.isEmpty() || page.endsWith("\n") ? "" : "\n") + "\n" + block;
    Files.writeString(file, updated, StandardCharsets.UTF_8);
  }

  private static BenchReport.Side side(BenchReport report, String name) {
    return report.sides().stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new ConfigException("no side " + name + " in the report"));
  }

  /** Ratios and seconds with two decimals, rates and counts as whole numbers. */
  private static String number(double v) {
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : two(v);
  }

  /** A side's CPU per call where it is known: {@code GetUser server 94 us, database 25 us}. */
  static String cpu(BenchReport.Side side) {
    List<String> parts = new ArrayList<>();
    if (side.cpu().targetMicrosPerCall() >= 0) {
      parts.add(String.format(Locale.ROOT, "server %.0f us", side.cpu().targetMicrosPerCall()));
    }
    if (side.cpu().databaseMicrosPerCall() >= 0) {
      parts.add(String.format(Locale.ROOT, "database %.0f us", side.cpu().databaseMicrosPerCall()));
    }
    if (side.cpu().generatorMicrosPerCall() >= 0) {
      parts.add(String.format(Locale.ROOT, "load generator %.0f us", side.cpu().generatorMicrosPerCall()));
    }
    return side.name() + " " + String.join(", ", parts);
  }

  private static String two(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String ms(long micros) {
    return micros < 1000 ? micros + " us" : String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }
}
