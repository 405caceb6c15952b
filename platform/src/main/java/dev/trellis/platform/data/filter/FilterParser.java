package dev.trellis.platform.data.filter;

import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.validation.StorableText;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the AIP-160 subset Trellis list calls accept:
 *
 * <pre>
 *   filter     = [ comparison { "AND" comparison } ]
 *   comparison = field operator value
 *   field      = letter { letter | digit | "_" | "." }
 *   operator   = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
 *   value      = string | integer
 *   string     = '"' { any character but '"' and '\' | '\' ( '"' | '\' | 'n' | 't' ) } '"'
 *   integer    = [ "-" ] digit { digit }        (ASCII digits 0-9 only)
 * </pre>
 *
 * A string must be text the database can store ({@link StorableText}: no NUL, no unpaired surrogate), so no filter
 * value reaches SQL that PostgreSQL would refuse. Which fields exist and which operators they take is for {@link FilterFields}. Every error is an
 * {@link InvalidArgumentException} on field {@code filter} saying what is wrong and where (1-based column).
 */
public final class FilterParser {
  public static final String FIELD = "filter";
  /** Longer filters are refused before parsing: a filter is a few terms, not a document. */
  public static final int MAX_LENGTH = 2048;
  public static final int MAX_COMPARISONS = 32;

  private final String text;
  private int pos;

  private FilterParser(String text) {
    this.text = text;
  }

  /** The filter's syntax tree; a null, empty or blank filter gives {@link Filter#EMPTY}. */
  public static Filter parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return Filter.EMPTY;
    }
    if (filter.length() > MAX_LENGTH) {
      throw invalid("is longer than " + MAX_LENGTH + " characters");
    }
    return new FilterParser(filter).filter();
  }

  private Filter filter() {
    List<Comparison> comparisons = new ArrayList<>();
    comparisons.add(comparison());
    skipSpaces();
    while (pos < text.length()) {
      int at = pos;
      String word = word();
      switch (word) {
        case "AND" -> { }
        case "OR" -> throw invalid("OR at column " + (at + 1) + " is not supported; join comparisons with AND");
        case "" -> throw invalid("unexpected '" + text.charAt(at) + "' at column " + (at + 1)
            + "; join comparisons with AND");
        default -> throw invalid("expected AND at column " + (at + 1) + ", found '" + word + "'");
      }
      if (comparisons.size() == MAX_COMPARISONS) {
        throw invalid("has more than " + MAX_COMPARISONS + " comparisons");
      }
      comparisons.add(comparison());
      skipSpaces();
    }
    return new Filter(comparisons);
  }

  private Comparison comparison() {
    skipSpaces();
    int at = pos;
    if (pos >= text.length()) {
      throw invalid("ends where a comparison such as name : \"ann\" should follow");
    }
    String field = word();
    if (field.isEmpty()) {
      char c = text.charAt(at);
      if (c == '(' || c == '-') {
        throw invalid("'" + c + "' at column " + (at + 1) + " is not supported; write comparisons joined by AND");
      }
      throw invalid("expected a field name at column " + (at + 1) + ", found '" + c + "'");
    }
    if (field.equals("AND") || field.equals("OR") || field.equals("NOT")) {
      throw invalid(field + " at column " + (at + 1) + " is not supported here; expected a field name");
    }
    Operator operator = operator(field);
    FilterValue value = value(field, operator);
    return new Comparison(field, operator, value);
  }

  private Operator operator(String field) {
    skipSpaces();
    int at = pos;
    Operator op = null;
    if (text.startsWith("<=", pos)) {
      op = Operator.LESS_OR_EQUAL;
    } else if (text.startsWith(">=", pos)) {
      op = Operator.GREATER_OR_EQUAL;
    } else if (text.startsWith("!=", pos)) {
      op = Operator.NOT_EQUALS;
    } else if (text.startsWith("=", pos)) {
      op = Operator.EQUALS;
    } else if (text.startsWith("<", pos)) {
      op = Operator.LESS;
    } else if (text.startsWith(">", pos)) {
      op = Operator.GREATER;
    } else if (text.startsWith(":", pos)) {
      op = Operator.HAS;
    }
    if (op == null) {
      throw invalid("expected an operator (=, !=, <, <=, >, >=, :) after '" + field + "' at column " + (at + 1));
    }
    pos += op.symbol().length();
    return op;
  }

  private FilterValue value(String field, Operator op) {
    skipSpaces();
    int at = pos;
    if (pos >= text.length()) {
      throw invalid("expected a value after '" + field + " " + op.symbol() + "' at column " + (at + 1));
    }
    char c = text.charAt(pos);
    if (c == '"') {
      return new FilterValue.Text(string());
    }
    if (c == '-' || isAsciiDigit(c)) {
      return new FilterValue.Whole(integer());
    }
    throw invalid("expected a quoted string or a whole number after '" + field + " " + op.symbol()
        + "' at column " + (at + 1));
  }

  private String string() {
    int start = pos;
    pos++; // opening quote
    StringBuilder out = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == '"') {
        String value = out.toString();
        StorableText.problem(value).ifPresent(problem -> {
          throw invalid("the string starting at column " + (start + 1) + " " + problem);
        });
        return value;
      }
      if (c == '\\') {
        if (pos >= text.length()) {
          break;
        }
        char e = text.charAt(pos++);
        switch (e) {
          case '"', '\\' -> out.append(e);
          case 'n' -> out.append('\n');
          case 't' -> out.append('\t');
          default -> throw invalid("unknown escape '\\" + e + "' at column " + (pos - 1)
              + "; use \\\" or \\\\");
        }
      } else {
        out.append(c);
      }
    }
    throw invalid("has an unterminated string starting at column " + (start + 1));
  }

  private long integer() {
    int start = pos;
    if (text.charAt(pos) == '-') {
      pos++;
    }
    while (pos < text.length() && isAsciiDigit(text.charAt(pos))) {
      pos++;
    }
    String digits = text.substring(start, pos);
    if (pos < text.length() && isWordChar(text.charAt(pos))) {
      throw invalid("malformed number at column " + (start + 1));
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw invalid("'" + digits + "' at column " + (start + 1) + " is not a 64-bit whole number");
    }
  }

  private String word() {
    int start = pos;
    if (pos < text.length() && Character.isLetter(text.charAt(pos))) {
      pos++;
      while (pos < text.length() && (isWordChar(text.charAt(pos)) || text.charAt(pos) == '.')) {
        pos++;
      }
    }
    return text.substring(start, pos);
  }

  /** Not {@link Character#isDigit}: that takes Arabic-Indic and other digits, which Long.parseLong reads too. */
  private static boolean isAsciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private void skipSpaces() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private static InvalidArgumentException invalid(String description) {
    return InvalidArgumentException.of(FIELD, description);
  }
}
