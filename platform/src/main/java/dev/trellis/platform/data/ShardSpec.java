package dev.trellis.platform.data;

import static java.util.Objects.requireNonNull;

/**
 * One physical PostgreSQL shard: the name its pool and metrics carry, and how to reach its database.
 *
 * @param name the shard name, such as {@code shard-0}; also the HikariCP pool name
 * @param jdbcUrl the JDBC URL of the service's database on that shard
 * @param user the database user
 * @param password the database password, never printed
 */
public record ShardSpec(String name, String jdbcUrl, String user, String password) {
  public ShardSpec {
    requireNonNull(name, "name");
    requireNonNull(jdbcUrl, "jdbcUrl");
    requireNonNull(user, "user");
    requireNonNull(password, "password");
  }

  @Override
  public String toString() {
    return "ShardSpec[name=" + name + ", jdbcUrl=" + jdbcUrl + ", user=" + user + ", password=***]";
  }
}
