package dev.trellis.platform.data.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.error.InvalidArgumentException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FilterParserTest {
  @Test
  void emptyOrBlankFilterMatchesEverything() {
    assertThat(FilterParser.parse("")).isEqualTo(Filter.EMPTY);
    assertThat(FilterParser.parse("   ")).isEqualTo(Filter.EMPTY);
    assertThat(FilterParser.parse(null)).isEqualTo(Filter.EMPTY);
  }

  @Test
  void comparisonsJoinedByAndBecomeAnAst() {
    Filter f = FilterParser.parse(
        "email = \"a@b.c\" AND name : \"ann\" AND role = \"admin\" AND created_at >= 1700000000 AND created_at <= 1800000000");
    assertThat(f.comparisons()).containsExactly(
        new Comparison("email", Operator.EQUALS, new FilterValue.Text("a@b.c")),
        new Comparison("name", Operator.HAS, new FilterValue.Text("ann")),
        new Comparison("role", Operator.EQUALS, new FilterValue.Text("admin")),
        new Comparison("created_at", Operator.GREATER_OR_EQUAL, new FilterValue.Whole(1700000000L)),
        new Comparison("created_at", Operator.LESS_OR_EQUAL, new FilterValue.Whole(1800000000L)));
  }

  @Test
  void spacingDoesNotMatterAndCanonicalFormIsTheSame() {
    assertThat(FilterParser.parse("name:\"x\"   AND   role=\"y\"").canonical())
        .isEqualTo(FilterParser.parse("name : \"x\" AND role = \"y\"").canonical())
        .isEqualTo("name : \"x\" AND role = \"y\"");
  }

  @Test
  void quotedStringsKeepEscapedQuotesBackslashesAndUnicode() {
    Filter f = FilterParser.parse("name : \"say \\\"hi\\\" \\\\ 日本 \\n\"");
    assertThat(f.comparisons().getFirst().value()).isEqualTo(new FilterValue.Text("say \"hi\" \\ 日本 \n"));
    assertThat(FilterParser.parse(f.canonical())).isEqualTo(f);
  }

  @Test
  void injectionLookingStringsAreJustStrings() {
    Filter f = FilterParser.parse("name : \"x' OR 1=1 --\"");
    assertThat(f.comparisons()).containsExactly(
        new Comparison("name", Operator.HAS, new FilterValue.Text("x' OR 1=1 --")));
  }

  @Test
  void allOperatorsParse() {
    for (Operator op : Operator.values()) {
      assertThat(FilterParser.parse("n " + op.symbol() + " 1").comparisons().getFirst().operator()).isEqualTo(op);
    }
    assertThat(FilterParser.parse("n >= -5").comparisons().getFirst().value()).isEqualTo(new FilterValue.Whole(-5));
  }

  @Test
  void malformedFiltersAreInvalidArgumentOnFilterWithAReason() {
    assertInvalid("name", "expected an operator");
    assertInvalid("name =", "expected a value");
    assertInvalid("name = ann", "expected a quoted string or a whole number");
    assertInvalid("name = \"ann", "unterminated string starting at column 8");
    assertInvalid("name = \"a\\qb\"", "unknown escape");
    assertInvalid("name = \"a\" OR role = \"b\"", "OR at column 12 is not supported");
    assertInvalid("name = \"a\" role = \"b\"", "expected AND at column 12");
    assertInvalid("name = \"a\" AND", "ends where a comparison");
    assertInvalid("(name = \"a\")", "'(' at column 1 is not supported");
    assertInvalid("NOT name = \"a\"", "NOT at column 1 is not supported");
    assertInvalid("-name = \"a\"", "'-' at column 1 is not supported");
    assertInvalid("created_at >= 99999999999999999999", "is not a 64-bit whole number");
    assertInvalid("created_at >= 12abc", "malformed number");
    assertInvalid("name = \"a\";", "unexpected ';' at column 11");
    assertInvalid("x".repeat(FilterParser.MAX_LENGTH + 1), "longer than");
  }

  @Test
  void stringsTheDatabaseCannotStoreAndNonAsciiDigitsAreRefused() {
    assertInvalid("name : \"a\u0000b\"", "the string starting at column 8 must not contain the NUL character");
    assertInvalid("name : \"a\ud800b\"", "unpaired surrogate");
    assertInvalid("created_at >= \u0661\u0667\u0660\u0660", "expected a quoted string or a whole number");
    assertInvalid("created_at >= 17\u0660\u0660", "malformed number");
    assertInvalid("created_at >= \uff11", "expected a quoted string or a whole number");
    assertThat(FilterParser.parse("name : \"\ud83e\uddea\"").comparisons().getFirst().value())
        .isEqualTo(new FilterValue.Text("\ud83e\uddea"));
  }

  private static void assertInvalid(String filter, String reason) {
    assertThatThrownBy(() -> FilterParser.parse(filter))
        .as(filter)
        .isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
          assertThat(e.violations()).hasSize(1);
          assertThat(e.violations().getFirst().field()).isEqualTo("filter");
          assertThat(e.violations().getFirst().description()).contains(reason);
        });
  }

  @Test
  void tooManyComparisonsAreRefused() {
    String filter = String.join(" AND ", java.util.Collections.nCopies(FilterParser.MAX_COMPARISONS + 1, "a = 1"));
    assertThatThrownBy(() -> FilterParser.parse(filter)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("more than");
    assertThat(FilterParser.parse(String.join(" AND ", java.util.Collections.nCopies(3, "a = 1"))).comparisons())
        .hasSize(3).isEqualTo(List.of(
            new Comparison("a", Operator.EQUALS, new FilterValue.Whole(1)),
            new Comparison("a", Operator.EQUALS, new FilterValue.Whole(1)),
            new Comparison("a", Operator.EQUALS, new FilterValue.Whole(1))));
  }
}
