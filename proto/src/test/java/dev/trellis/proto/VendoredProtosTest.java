package dev.trellis.proto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * buf lints and checks against third_party/googleapis, while protoc compiles against the same files inside
 * proto-google-common-protos. They must be the same bytes, or buf and the build would disagree about the API.
 */
class VendoredProtosTest {
  private static final Path VENDORED = Path.of("..", "third_party", "googleapis");

  @Test
  void vendoredGoogleProtosAreTheOnesInTheCommonProtosJar() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(VENDORED)) {
      files = walk.filter(p -> p.toString().endsWith(".proto")).toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(6);
    for (Path file : files) {
      String name = VENDORED.relativize(file).toString().replace('\\', '/');
      try (InputStream jar = getClass().getResourceAsStream("/" + name)) {
        assertThat(jar).as("%s in proto-google-common-protos", name).isNotNull();
        assertThat(Files.readAllBytes(file)).as(name).isEqualTo(jar.readAllBytes());
      }
    }
  }
}
