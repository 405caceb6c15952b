package dev.trellis.platform.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.error.FieldViolation;
import org.junit.jupiter.api.Test;

class ViolationsTest {
  @Test
  void aTextFieldReportsItsFirstProblemOnly() {
    Violations violations = new Violations();

    assertThat(violations.text("ok", "Ada Lovelace", true, 20)).isTrue();
    assertThat(violations.text("optional", "", false, 20)).isTrue();
    assertThat(violations.text("missing", " ", true, 20)).isFalse();
    assertThat(violations.text("nul", "a\u0000" + "x".repeat(30), true, 20)).isFalse();
    assertThat(violations.text("long", "\uD83D\uDE00".repeat(21), true, 20)).isFalse();
    assertThat(violations.text("control", "two\nlines", true, 20)).isFalse();

    assertThat(violations.list()).extracting(FieldViolation::field)
        .containsExactly("missing", "nul", "long", "control");
    assertThat(violations.list().get(0).description()).isEqualTo("is required");
    assertThat(violations.list().get(1).description()).contains("NUL");
    assertThat(violations.list().get(2).description()).isEqualTo("must be at most 20 characters, got 21");
    assertThat(violations.list().get(3).description()).isEqualTo("must not contain control characters");
  }
}
