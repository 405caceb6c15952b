package dev.trellis.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultTableTest {
  private final CaseResult passed = new CaseResult("large_unary", "OrderService/CreateOrder", "order-service", true,
      "300 lines", Duration.ofMillis(812));
  private final CaseResult failed = new CaseResult("empty_stream", "OrderService/TrackOrders", "order-service", false,
      "an empty TrackOrders sent 1 event", Duration.ofMillis(3));

  @Test
  void eachCaseIsALineWithItsInteropNameAndRpc() {
    assertThat(ResultTable.line(passed))
        .isEqualTo("PASS large_unary  OrderService/CreateOrder @ order-service (812 ms): 300 lines");
    assertThat(ResultTable.line(failed)).startsWith("FAIL empty_stream  OrderService/TrackOrders");
  }

  @Test
  void theTableListsEveryCaseAndCountsTheFailures() {
    String table = ResultTable.table(List.of(passed, failed));

    assertThat(table.lines().toList()).containsExactly(
        "case          rpc                       target         result",
        "-".repeat(12 + 24 + 13 + 12),
        "large_unary   OrderService/CreateOrder  order-service  PASS",
        "empty_stream  OrderService/TrackOrders  order-service  FAIL",
        "1 passed, 1 failed");
  }
}
