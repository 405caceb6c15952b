package dev.trellis.platform.data.reshard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {
  private final ProgressPrinter lines =
      new ProgressPrinter(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false,
          Duration.ofSeconds(1));

  @Test
  void anAlmostEmptyDatabaseShowsItsRatesInsteadOfZero() {
    // 12 buckets and 8 rows in 40 s: 0.3 buckets/s and 0.2 rows/s, which a whole number showed as "0 rows/s".
    String line = lines.line(new ReshardProgress("users", 12, 308, 8, Duration.ofSeconds(40)));

    assertThat(line).isEqualTo("users: 12/308 buckets (0.30/s), 8 rows copied (0.20 rows/s), 16m26s left");
  }

  @Test
  void ratesKeepTheDigitsThatSaySomething() {
    assertThat(ProgressPrinter.rate(0)).isEqualTo("0");
    assertThat(ProgressPrinter.rate(0.004)).isEqualTo("0.00");
    assertThat(ProgressPrinter.rate(3.456)).isEqualTo("3.46");
    assertThat(ProgressPrinter.rate(34.56)).isEqualTo("34.6");
    assertThat(ProgressPrinter.rate(3456.7)).isEqualTo("3457");
  }

  @Test
  void theFirstLineHasNoPaceYet() {
    String line = lines.line(new ReshardProgress("orders", 0, 342, 0, Duration.ZERO));

    assertThat(line).isEqualTo("orders: 0/342 buckets (0/s), 0 rows copied (0 rows/s), ? left");
  }
}
