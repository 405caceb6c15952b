package dev.trellis.bench.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.bench.call.CallSpec;
import dev.trellis.platform.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
  private static BenchOptions parse(String... args) {
    return BenchOptions.parse(args, Path.of("/repo"));
  }

  @Test
  void repeatedFlagsMakeAMixAndTheRestAreSettings() {
    BenchOptions o = parse("--local", "user-service", "--call", "9*GetUser {\"id\":\"${user_id}\"}",
        "--call=1*UpdateUser {}", "--pool", "user_id=1,2", "--baseline", "jdbc-point-read",
        "--baseline=pgbench-point-read", "--in-flight=64", "--connections", "8", "--duration", "60s",
        "--warmup", "off", "--target-env", "TRELLIS_LOG_LEVEL=warn", "--target-jvm", "-XX:+UseParallelGC",
        "--target-jvm=-Xmx2g");

    assertThat(o.calls()).extracting(CallSpec::weight).containsExactly(9, 1);
    assertThat(o.pools()).containsEntry("user_id", "1,2");
    assertThat(o.baselines()).containsExactly("jdbc-point-read", "pgbench-point-read");
    assertThat(o.model().inFlight()).isEqualTo(64);
    assertThat(o.model().connections()).isEqualTo(8);
    assertThat(o.rounds()).isEqualTo(3); // a baseline: alternate
    assertThat(o.roundDuration()).isEqualTo(Duration.ofSeconds(20));
    assertThat(o.warmup().off()).isTrue();
    assertThat(o.targetEnv()).containsEntry("TRELLIS_LOG_LEVEL", "warn");
    assertThat(o.targetJvm()).containsExactly("-XX:+UseParallelGC", "-Xmx2g");
    assertThat(o.name()).isEqualTo("mix");
    assertThat(o.out().toString()).startsWith("/repo/bench-results/").endsWith("-mix");
  }

  @Test
  void anOpenLoopHasARateAndACountSplitsOverTheRounds() {
    BenchOptions o = parse("--call", "GetUser", "--rate", "2500", "--count", "3000", "--rounds", "3");
    assertThat(o.model().open()).isTrue();
    assertThat(o.model().rate()).isEqualTo(2500);
    assertThat(o.countPerRound()).isEqualTo(1000);
    assertThat(o.name()).isEqualTo("GetUser");
  }

  @Test
  void wrongFlagsStopWithOneLineNamingThem() {
    assertThatThrownBy(() -> parse("--call", "GetUser", "--in-fligth", "3"))
        .isInstanceOf(ConfigException.class).hasMessage("unknown flag --in-fligth");
    assertThatThrownBy(() -> parse("--in-flight", "3")).hasMessageContaining("--call");
    assertThatThrownBy(() -> parse("--call", "GetUser", "--engine", "ghz")).hasMessageContaining("--engine");
    assertThatThrownBy(() -> parse("--call", "GetUser", "--rate", "fast")).hasMessageContaining("--rate");
    assertThatThrownBy(() -> parse("--call", "GetUser", "--local", "a", "--target", "h:1"))
        .hasMessageContaining("exclude");
    assertThatThrownBy(() -> parse("--call", "GetUser", "--connections", "64", "--in-flight", "8"))
        .hasMessageContaining("--connections");
    assertThatThrownBy(() -> parse("--call", "GET /v1/users/1", "--http-version", "3"))
        .hasMessageContaining("--http-version");
    assertThatThrownBy(() -> parse("--call", "GET /v1/users/1", "--http-version", "2"))
        .hasMessage("--http-version 2 needs --engine h2load (the java engine speaks HTTP/1.1)");
  }

  @Test
  void restToTheEdgeIsHttp11UnlessH2cIsAsked() {
    assertThat(parse("--call", "GET /v1/users/1").http1()).isTrue();
    assertThat(parse("--call", "GET /v1/users/1", "--engine", "h2load", "--http-version", "2").http1()).isFalse();
  }

  @Test
  void theCommandLineIsRecordedAsAShellWouldTakeItBack() {
    assertThat(BenchOptions.commandLine(new String[] {"--call", "GetUser {\"id\":\"${x}\"}", "--rate=5"}))
        .isEqualTo("./trellis bench --call 'GetUser {\"id\":\"${x}\"}' --rate=5");
  }

  @Test
  void theProgressLineShowsRateErrorsAndPercentilesSoFar() {
    assertThat(ProgressLine.format("round 1/3", "GetUser",
        new dev.trellis.bench.measure.Progress(12_000, 3, 12_000, 850, 12_300), 2.0))
        .isEqualTo("[round 1/3] GetUser: 12,000 calls, 6,000/s, 3 errors, p50 850 us, p99 12.3 ms");
  }
}
