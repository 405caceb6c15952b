package dev.trellis.conformance;

import java.util.List;

/** The conformance run's output: a line per case as it ends, then a table of all of them and the count. */
final class ResultTable {
  private ResultTable() {}

  /** {@code PASS large_unary  OrderService/CreateOrder @ order-service (812 ms): 300 lines ...} */
  static String line(CaseResult r) {
    return (r.passed() ? "PASS " : "FAIL ") + r.name() + "  " + r.rpc() + " @ " + r.target() + " ("
        + r.took().toMillis() + " ms): " + r.note();
  }

  /** A fixed-width table: case, RPC, target, result; then "N passed, M failed". */
  static String table(List<CaseResult> results) {
    int name = width(results.stream().map(CaseResult::name).toList(), "case");
    int rpc = width(results.stream().map(CaseResult::rpc).toList(), "rpc");
    int target = width(results.stream().map(CaseResult::target).toList(), "target");
    String format = "%-" + name + "s  %-" + rpc + "s  %-" + target + "s  %s%n";
    StringBuilder table = new StringBuilder(String.format(format, "case", "rpc", "target", "result"));
    table.append("-".repeat(name + rpc + target + 12)).append('\n');
    for (CaseResult r : results) {
      table.append(String.format(format, r.name(), r.rpc(), r.target(), r.passed() ? "PASS" : "FAIL"));
    }
    long failed = results.stream().filter(r -> !r.passed()).count();
    table.append(results.size() - failed).append(" passed, ").append(failed).append(" failed\n");
    return table.toString();
  }

  private static int width(List<String> values, String header) {
    return Math.max(header.length(), values.stream().mapToInt(String::length).max().orElse(0));
  }
}
