package dev.trellis.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * README's configuration table names every variable a process reads: the platform's, every service's (a module that
 * registers a TrellisService) and every edge's (a module that registers a TrellisEdge), read from their sources; and
 * it names no variable that nothing reads.
 */
class ConfigurationTableTest {
  private static final Pattern VARIABLE = Pattern.compile("\"(TRELLIS_[A-Z0-9_]+)\"");
  private static final Pattern DOCUMENTED = Pattern.compile("`(TRELLIS_[A-Z0-9_]+)`");
  private static final List<String> REGISTRATIONS = List.of(
      "src/main/resources/META-INF/services/dev.trellis.platform.server.TrellisService",
      "src/main/resources/META-INF/services/dev.trellis.platform.server.TrellisEdge");

  @Test
  void everyVariableThatAServiceOrEdgeReadsIsInTheTable() throws IOException {
    Set<String> read = new TreeSet<>(variablesIn(Repository.root().resolve("platform")));
    for (String module : Repository.modules()) {
      Path dir = Repository.root().resolve(module);
      if (REGISTRATIONS.stream().anyMatch(registration -> Files.exists(dir.resolve(registration)))) {
        read.addAll(variablesIn(dir));
      }
    }
    assertThat(read).as("variables read by the platform, user-service and edge-proxy").contains("TRELLIS_GRPC_PORT",
        "TRELLIS_USER_UPDATES_POLL_INTERVAL", "TRELLIS_EDGE_UPSTREAMS");

    assertThat(table()).as("README's configuration table").containsAll(read);
  }

  @Test
  void theTableNamesNoVariableThatNothingReads() throws IOException {
    Set<String> readAnywhere = new TreeSet<>();
    for (String module : Repository.modules()) {
      readAnywhere.addAll(variablesIn(Repository.root().resolve(module)));
    }

    assertThat(readAnywhere).containsAll(table());
  }

  /** The variables in backquotes in README's "## Configuration" section. */
  private static Set<String> table() {
    String readme = Repository.read(Repository.root().resolve("README.md"));
    int start = readme.indexOf("## Configuration");
    assertThat(start).as("README has a Configuration section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    Matcher m = DOCUMENTED.matcher(readme.substring(start, end < 0 ? readme.length() : end));
    Set<String> documented = new TreeSet<>();
    while (m.find()) {
      documented.add(m.group(1));
    }
    return documented;
  }

  /** The variable names quoted in a module's main sources. */
  private static Set<String> variablesIn(Path module) throws IOException {
    Set<String> names = new TreeSet<>();
    Path sources = module.resolve("src/main/java");
    if (!Files.isDirectory(sources)) {
      return names;
    }
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Matcher m = VARIABLE.matcher(Files.readString(file));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }
}
