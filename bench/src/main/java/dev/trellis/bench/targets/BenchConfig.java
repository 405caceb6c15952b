package dev.trellis.bench.targets;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trellis.platform.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The targets the bench can start and the baselines it can run, by name, from bench.json (packaged with the bench,
 * or {@code --config FILE}). Adding order-service or the edge is an entry here.
 */
public record BenchConfig(Map<String, TargetProfile> targets, Map<String, BaselineProfile> baselines) {
  /** The packaged configuration's classpath location. */
  public static final String RESOURCE = "/dev/trellis/bench/bench.json";

  public BenchConfig {
    targets = Map.copyOf(requireNonNull(targets, "targets"));
    baselines = Map.copyOf(requireNonNull(baselines, "baselines"));
    for (var baseline : baselines.entrySet()) {
      if (baseline.getValue().runsOnTarget() && !targets.containsKey(baseline.getValue().target())) {
        throw new ConfigException("baseline " + baseline.getKey() + " names an unknown target '"
            + baseline.getValue().target() + "'");
      }
    }
    for (var target : targets.entrySet()) {
      for (String need : target.getValue().needs()) {
        if (!targets.containsKey(need)) {
          throw new ConfigException("target " + target.getKey() + " needs an unknown target '" + need + "'");
        }
      }
    }
  }

  public static BenchConfig packaged() {
    try (InputStream in = BenchConfig.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return parse(in.readAllBytes(), RESOURCE);
    } catch (IOException e) {
      throw new IllegalStateException("reading " + RESOURCE, e);
    }
  }

  public static BenchConfig read(Path file) {
    try {
      return parse(Files.readAllBytes(file), file.toString());
    } catch (IOException e) {
      throw new ConfigException("cannot read the bench configuration " + file + ": " + e.getMessage());
    }
  }

  static BenchConfig parse(byte[] json, String source) {
    ObjectMapper mapper = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(JsonParser.Feature.ALLOW_COMMENTS);
    try {
      return mapper.readValue(json, BenchConfig.class);
    } catch (IOException e) {
      throw new ConfigException("the bench configuration " + source + " is not valid: "
          + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  public TargetProfile target(String name) {
    TargetProfile profile = targets.get(name);
    if (profile == null) {
      throw new ConfigException("no local target '" + name + "'; known: " + String.join(", ",
          new TreeMap<>(targets).keySet()));
    }
    return profile;
  }

  public BaselineProfile baseline(String name) {
    BaselineProfile profile = baselines.get(name);
    if (profile == null) {
      throw new ConfigException("no baseline '" + name + "'; known: " + String.join(", ",
          new TreeMap<>(baselines).keySet()));
    }
    return profile;
  }
}
