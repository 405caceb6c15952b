package dev.trellis.platform.data.filter;

import static java.util.Objects.requireNonNull;

/** One {@code field operator value} term of a filter. */
public record Comparison(String field, Operator operator, FilterValue value) {
  public Comparison {
    requireNonNull(field, "field");
    requireNonNull(operator, "operator");
    requireNonNull(value, "value");
  }

  public String canonical() {
    return field + " " + operator.symbol() + " " + value.canonical();
  }
}
