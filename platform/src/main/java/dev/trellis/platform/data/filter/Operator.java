package dev.trellis.platform.data.filter;

/** The comparison operators of AIP-160; a {@link FilterFields} mapping says which each field accepts. */
public enum Operator {
  EQUALS("="),
  NOT_EQUALS("!="),
  LESS("<"),
  LESS_OR_EQUAL("<="),
  GREATER(">"),
  GREATER_OR_EQUAL(">="),
  /** {@code :}, "has": for text, contains. */
  HAS(":");

  private final String symbol;

  Operator(String symbol) {
    this.symbol = symbol;
  }

  public String symbol() {
    return symbol;
  }
}
