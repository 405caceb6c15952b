package dev.trellis.embedded;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import dev.trellis.platform.data.ShardMigrator;
import dev.trellis.platform.data.ShardSpec;
import dev.trellis.platform.data.ShardTopology;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Jdbc;
import org.jooq.meta.jaxb.Target;
import org.slf4j.LoggerFactory;

/**
 * Generates a service's jOOQ classes at build time from its Flyway migrations, run against a real PostgreSQL:
 * a throwaway embedded server, migrated with the platform's and the service's scripts, read by jOOQ's
 * PostgresDatabase. (jOOQ's DDLDatabase parses with H2 and breaks on PostgreSQL-only DDL.)
 *
 * <p>Run from a service's pom in generate-sources (exec-maven-plugin, java goal):
 * {@code --migrations=src/main/resources/db/migration/users --package=dev.trellis.user.store.jooq
 * --output=target/generated-sources/jooq}. When the output was generated from the same scripts (a hash of them is
 * kept beside the output) nothing runs, so rebuilds stay fast.
 */
public final class JooqCodegen {
  private static final String STAMP = ".trellis-codegen.sha256";

  private JooqCodegen() {}

  public static void main(String[] args) throws Exception {
    quietLogs();
    Settings settings = Settings.of(Map.of(), args);
    Path migrations = settings.path("TRELLIS_MIGRATIONS", null);
    String packageName = settings.required("TRELLIS_PACKAGE");
    Path output = settings.path("TRELLIS_OUTPUT", null);
    settings.rejectUnknownFlags();
    if (migrations == null || output == null) {
      throw new ConfigException("usage: JooqCodegen --migrations=DIR --package=PKG --output=DIR");
    }
    generate(migrations.toAbsolutePath(), packageName, output.toAbsolutePath());
  }

  /** Generates into {@code output} unless it already holds the classes of exactly these migrations. */
  public static void generate(Path migrations, String packageName, Path output) throws Exception {
    if (!Files.isDirectory(migrations)) {
      throw new ConfigException("no migrations directory at " + migrations);
    }
    String hash = hashOf(migrations, packageName);
    Path stamp = output.resolve(STAMP);
    if (Files.exists(stamp) && Files.readString(stamp).strip().equals(hash)) {
      System.out.println("[jooq-codegen] " + output + " is up to date");
      return;
    }
    deleteRecursively(output);
    Path state = Files.createTempDirectory("trellis-codegen-");
    try (EmbeddedShards server = EmbeddedShards.builder(state).shards(1).durable(false).deleteOnClose(true).start()) {
      ShardTopology topology = server.topology("codegen");
      ShardMigrator.migrate(topology, "filesystem:" + migrations);
      ShardSpec shard = topology.shards().getFirst();
      GenerationTool.generate(new Configuration()
          .withJdbc(new Jdbc().withDriver("org.postgresql.Driver").withUrl(shard.jdbcUrl())
              .withUser(shard.user()).withPassword(shard.password()))
          .withGenerator(new Generator()
              .withDatabase(new Database()
                  .withName("org.jooq.meta.postgres.PostgresDatabase")
                  .withInputSchema("public")
                  .withOutputSchemaToDefault(true)
                  .withExcludes("flyway_schema_history"))
              .withGenerate(new Generate().withJavaTimeTypes(true).withDeprecated(false).withGeneratedAnnotation(false))
              .withTarget(new Target().withPackageName(packageName).withDirectory(output.toString()))));
    }
    Files.createDirectories(output);
    Files.writeString(stamp, hash + "\n");
    System.out.println("[jooq-codegen] generated " + packageName + " into " + output);
  }

  /** Runs inside Maven: without a logback configuration, jOOQ and zonky would log every query at DEBUG. */
  private static void quietLogs() {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  /** SHA-256 over the package name, the platform's scripts and the service's scripts (names and contents). */
  private static String hashOf(Path migrations, String packageName) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    digest.update(packageName.getBytes(StandardCharsets.UTF_8));
    digest.update(org.jooq.Constants.VERSION.getBytes(StandardCharsets.UTF_8));
    for (String resource : ShardMigrator.PLATFORM_SCRIPTS) {
      try (InputStream in = JooqCodegen.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("platform migration " + resource + " is not on the classpath");
        }
        digest.update(resource.getBytes(StandardCharsets.UTF_8));
        digest.update(in.readAllBytes());
      }
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(migrations)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : files) {
      digest.update(migrations.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
      digest.update(Files.readAllBytes(file));
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
