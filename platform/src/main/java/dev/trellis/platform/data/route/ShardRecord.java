package dev.trellis.platform.data.route;

import static java.util.Objects.requireNonNull;

/**
 * One shard as the bucket directory records it (like a Vitess shard record or a row of Citus's pg_dist_node): its
 * index, how to reach it, and where it is in its life. The directory is the authority for the shard set: a replica
 * that follows a new version opens a pool for each shard it lacks (with its own credentials) and closes the pools of
 * drained ones, without a restart.
 *
 * @param index the shard's number in the directory (buckets map to it)
 * @param jdbcUrl the JDBC URL of the service's database on the shard, without credentials ({@link #withoutCredentials})
 * @param state where the shard is in its life
 */
public record ShardRecord(int index, String jdbcUrl, State state) {
  /**
   * JOINING: registered, may receive buckets; ACTIVE: serving its buckets; DRAINING: its buckets are moving off (a
   * shrink in progress); DRAINED: it owns no bucket and no replica keeps a pool for it. Active shards are always
   * the first ones of the list, drained ones the last.
   */
  public enum State { JOINING, ACTIVE, DRAINING, DRAINED }

  public ShardRecord {
    requireNonNull(jdbcUrl, "jdbcUrl");
    requireNonNull(state, "state");
    if (index < 0) {
      throw new IllegalArgumentException("a shard index is at least 0, got " + index);
    }
    if (!jdbcUrl.equals(withoutCredentials(jdbcUrl))) {
      throw new IllegalArgumentException("shard " + index + "'s JDBC URL carries credentials; the directory stores"
          + " none (every replica brings its own)");
    }
  }

  /** Whether replicas keep a pool for this shard. */
  public boolean serves() {
    return state != State.DRAINED;
  }

  /** The record with another state. */
  public ShardRecord with(State newState) {
    return new ShardRecord(index, jdbcUrl, newState);
  }

  /** {@code url} without its {@code user} and {@code password} parameters: what the directory may store. */
  public static String withoutCredentials(String url) {
    requireNonNull(url, "url");
    int query = url.indexOf('?');
    if (query < 0) {
      return url;
    }
    StringBuilder kept = new StringBuilder(url.substring(0, query));
    char separator = '?';
    for (String parameter : url.substring(query + 1).split("&")) {
      String key = parameter.split("=", 2)[0].toLowerCase(java.util.Locale.ROOT);
      if (parameter.isEmpty() || key.equals("user") || key.equals("password")) {
        continue;
      }
      kept.append(separator).append(parameter);
      separator = '&';
    }
    return kept.toString();
  }
}
