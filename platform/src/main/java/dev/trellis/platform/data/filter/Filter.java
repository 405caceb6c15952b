package dev.trellis.platform.data.filter;

import java.util.List;
import java.util.stream.Collectors;

/** A parsed filter: comparisons joined by AND; no comparisons matches everything. */
public record Filter(List<Comparison> comparisons) {
  public static final Filter EMPTY = new Filter(List.of());

  public Filter {
    comparisons = List.copyOf(comparisons);
  }

  /**
   * The filter written in one normal form ({@code name : "x"} and {@code name:"x"} read the same), for comparing
   * filters, as page tokens do.
   */
  public String canonical() {
    return comparisons.stream().map(Comparison::canonical).collect(Collectors.joining(" AND "));
  }
}
