package dev.trellis.user.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.platform.error.FieldViolation;
import dev.trellis.platform.error.InvalidArgumentException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UserValidationTest {
  @Test
  void validNewUserDefaultsToRoleUser() {
    NewUser user = UserValidation.newUser("ada@example.com", "Ada Lovelace", List.of());
    assertThat(user.roles()).containsExactly("user");
  }

  @Test
  void duplicateRolesCollapse() {
    assertThat(UserValidation.newUser("a@b.co", "A", List.of("admin", "user", "admin")).roles())
        .containsExactly("admin", "user");
  }

  @Test
  void everyBadFieldIsReportedAtOnce() {
    assertThatThrownBy(() -> UserValidation.newUser("not-an-email", "", List.of("root")))
        .isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.violations())
            .extracting(FieldViolation::field).containsExactly("email", "name", "roles[0]"));
  }

  @Test
  void emailSyntax() {
    for (String bad : List.of("a", "a@", "@b.co", "a@b", "a b@c.de", "a@b..co", "a@-b.co", "a@b.co\n")) {
      assertThatThrownBy(() -> UserValidation.newUser(bad, "A", List.of())).as(bad)
          .isInstanceOf(InvalidArgumentException.class);
    }
    for (String good : List.of("a@b.co", "first.last+tag@sub.example.org", "ü@exämple.de")) {
      assertThat(UserValidation.newUser(good, "A", List.of()).email()).isEqualTo(good);
    }
  }

  @Test
  void nameLengthCountsCharactersNotBytes() {
    String emoji200 = "😀".repeat(200); // 400 UTF-16 units, 800 UTF-8 bytes, 200 characters
    assertThat(UserValidation.newUser("a@b.co", emoji200, List.of()).name()).isEqualTo(emoji200);
    assertThatThrownBy(() -> UserValidation.newUser("a@b.co", emoji200 + "x", List.of()))
        .hasMessageContaining("name: must be at most 200 characters, got 201");
  }

  @Test
  void unicodeNamesAreKeptByteExact() {
    String decomposed = "Zoe\u0301 ナ \u00a0 ";
    assertThat(UserValidation.newUser("a@b.co", decomposed, List.of()).name()).isEqualTo(decomposed);
  }

  @Test
  void blankOrControlCharacterNamesAreRejected() {
    assertThatThrownBy(() -> UserValidation.newUser("a@b.co", "   ", List.of())).hasMessage("name: is required");
    assertThatThrownBy(() -> UserValidation.newUser("a@b.co", "a\u0000b", List.of()))
        .hasMessage("name: must not contain the NUL character (at character 2)");
    assertThatThrownBy(() -> UserValidation.newUser("a@b.co", "a\u0007b", List.of()))
        .hasMessage("name: must not contain control characters");
  }

  @Test
  void updateTakesOnlyMaskedFields() {
    UserChanges changes = UserValidation.changes(5, List.of("name"), "ignored-not-an-email", "New", List.of("root"));
    assertThat(changes).isEqualTo(new UserChanges(Optional.empty(), Optional.of("New"), Optional.empty()));
  }

  @Test
  void emptyMaskMeansPopulatedFieldsAndStarMeansAll() {
    assertThat(UserValidation.changes(5, List.of(), "", "New", List.of()))
        .isEqualTo(new UserChanges(Optional.empty(), Optional.of("New"), Optional.empty()));
    assertThat(UserValidation.changes(5, List.of("*"), "a@b.co", "N", List.of()))
        .isEqualTo(new UserChanges(Optional.of("a@b.co"), Optional.of("N"), Optional.of(List.of("user"))));
  }

  @Test
  void immutableAndUnknownPathsAreRejected() {
    assertThatThrownBy(() -> UserValidation.changes(5, List.of("id", "created_at", "nickname"), "", "", List.of()))
        .isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.violations()).containsExactly(
            new FieldViolation("update_mask", "'id' is immutable"),
            new FieldViolation("update_mask", "'created_at' is immutable"),
            new FieldViolation("update_mask", "unknown field 'nickname'")));
  }

  @Test
  void maskedFieldsAreValidatedUnderTheUserPrefix() {
    assertThatThrownBy(() -> UserValidation.changes(5, List.of("email"), "nope", "", List.of()))
        .hasMessage("user.email: must be an email address such as name@example.com");
  }

  @Test
  void updateThatChangesNothingIsRejected() {
    assertThatThrownBy(() -> UserValidation.changes(5, List.of(), "", "", List.of()))
        .hasMessage("update_mask: names no field to change");
  }

  @Test
  void idsAndPageSizes() {
    assertThatThrownBy(() -> UserValidation.id("id", 0)).hasMessage("id: must be a positive id, got 0");
    assertThatThrownBy(() -> UserValidation.ids("user_ids", List.of(3L, -1L)))
        .hasMessage("user_ids[1]: must be a positive id, got -1");
    assertThatThrownBy(() -> UserValidation.pageSize(1001)).hasMessageContaining("page_size");
    UserValidation.pageSize(0);
    UserValidation.pageSize(1000);
  }

  @Test
  void aListTooLongIsOneViolationForTheList() {
    List<String> paths = java.util.Collections.nCopies(1000, "nickname");
    assertThatThrownBy(() -> UserValidation.changes(5, paths, "", "", List.of()))
        .isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.violations()).containsExactly(
            new FieldViolation("update_mask.paths", "must have at most 16 elements, got 1000")));
    assertThatThrownBy(() -> UserValidation.newUser("a@b.co", "A", java.util.Collections.nCopies(17, "root")))
        .isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.violations()).containsExactly(
            new FieldViolation("roles", "must have at most 16 elements, got 17")));
    assertThatThrownBy(() -> UserValidation.ids("user_ids", java.util.Collections.nCopies(1001, -1L)))
        .hasMessage("user_ids: must have at most 1000 elements, got 1001");
  }

  @Test
  void textTheDatabaseCannotStoreIsRejected() {
    assertThatThrownBy(() -> UserValidation.newUser("a@b.co", "half \ud800 a pair", List.of()))
        .hasMessage("name: must be valid Unicode: an unpaired surrogate at character 6");
    assertThatThrownBy(() -> UserValidation.newUser("a\u0000@b.co", "A", List.of()))
        .hasMessage("email: must not contain the NUL character (at character 2)");
    assertThat(UserValidation.newUser("a@b.co", "paired \ud83e\uddea", List.of()).name()).endsWith("\ud83e\uddea");
  }
}
