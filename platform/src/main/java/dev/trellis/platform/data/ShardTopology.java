package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The physical shards of one service's database, in shard order: shard {@code i} of the list is shard {@code i}
 * of the bucket directory, so the order must not change once data is written.
 */
public record ShardTopology(List<ShardSpec> shards) {
  public static final String URLS = "TRELLIS_SHARD_URLS";
  public static final String USER = "TRELLIS_SHARD_USER";
  public static final String PASSWORD = "TRELLIS_SHARD_PASSWORD";
  public static final String PASSWORD_FILE = "TRELLIS_SHARD_PASSWORD_FILE";

  public ShardTopology {
    shards = List.copyOf(requireNonNull(shards, "shards"));
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("a topology needs at least one shard");
    }
    if (shards.stream().map(ShardSpec::name).distinct().count() != shards.size()) {
      throw new IllegalArgumentException("shard names must be unique");
    }
  }

  /**
   * External PostgreSQL from configuration: {@code TRELLIS_SHARD_URLS} (comma-separated JDBC URLs of the service's
   * database, one per shard, in shard order), {@code TRELLIS_SHARD_USER} and {@code TRELLIS_SHARD_PASSWORD} or
   * {@code TRELLIS_SHARD_PASSWORD_FILE} (a mounted secret; wins over the variable). Shards are named
   * {@code shard-0}, {@code shard-1}, ...
   */
  public static ShardTopology fromSettings(Settings settings) {
    requireNonNull(settings, "settings");
    List<String> urls = settings.list(URLS);
    if (urls.isEmpty()) {
      throw new ConfigException(URLS + " is required: comma-separated JDBC URLs, one per shard, in shard order");
    }
    for (int i = 0; i < urls.size(); i++) {
      if (!urls.get(i).startsWith("jdbc:postgresql://")) {
        // Not echoed: a JDBC URL may carry a password.
        throw new ConfigException(URLS + " must hold jdbc:postgresql:// URLs; entry " + (i + 1) + " does not");
      }
    }
    String user = settings.required(USER);
    String password = passwordOf(settings);
    List<ShardSpec> shards = new ArrayList<>();
    for (int i = 0; i < urls.size(); i++) {
      shards.add(new ShardSpec(shardName(i), urls.get(i), user, password));
    }
    return new ShardTopology(shards);
  }

  /**
   * The settings that {@link #fromSettings} reads back into this topology: how an embedded launch hands its
   * shards to a service. All shards must share one user and password, as embedded ones do.
   */
  public Map<String, String> toSettings() {
    ShardSpec first = shards.get(0);
    for (ShardSpec shard : shards) {
      if (!shard.user().equals(first.user()) || !shard.password().equals(first.password())) {
        throw new IllegalStateException("shards with different credentials cannot be passed as settings");
      }
    }
    return Map.of(
        URLS, String.join(",", shards.stream().map(ShardSpec::jdbcUrl).toList()),
        USER, first.user(),
        PASSWORD, first.password());
  }

  /** The conventional name of shard {@code index}. */
  public static String shardName(int index) {
    return "shard-" + index;
  }

  public int size() {
    return shards.size();
  }

  private static String passwordOf(Settings settings) {
    Optional<Path> file = settings.optional(PASSWORD_FILE).map(Path::of);
    if (file.isPresent()) {
      try {
        return Files.readString(file.get(), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new ConfigException(PASSWORD_FILE + " names a file that cannot be read: " + file.get());
      }
    }
    // Empty is allowed: trust or certificate authentication needs none (embedded shards use trust).
    return settings.string(PASSWORD, "");
  }
}
