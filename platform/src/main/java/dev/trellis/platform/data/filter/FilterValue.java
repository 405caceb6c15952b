package dev.trellis.platform.data.filter;

/** The right-hand side of a comparison: a quoted string or a whole number. */
public sealed interface FilterValue permits FilterValue.Text, FilterValue.Whole {
  /** How the value reads in a filter, canonical form. */
  String canonical();

  /** A quoted string, unescaped. */
  record Text(String value) implements FilterValue {
    @Override
    public String canonical() {
      return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
  }

  /** A whole number. */
  record Whole(long value) implements FilterValue {
    @Override
    public String canonical() {
      return Long.toString(value);
    }
  }
}
