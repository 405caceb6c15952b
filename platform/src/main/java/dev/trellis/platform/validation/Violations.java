package dev.trellis.platform.validation;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.error.FieldViolation;
import dev.trellis.platform.error.InvalidArgumentException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Collects the field violations of one request, so a client fixes a form in one round trip, with the checks every
 * service needs the same way: bounded lists (a request naming too many paths, roles, ids or line items gets one
 * violation for the list itself, not one per element) and text the database can store. {@link #throwIfAny()} ends
 * validation with one INVALID_ARGUMENT.
 *
 * <pre>{@code
 * Violations violations = new Violations();
 * if (violations.size("update_mask.paths", paths, 16)) {
 *   for (String path : paths) { ... }
 * }
 * violations.storableText("name", name);
 * violations.throwIfAny();
 * }</pre>
 */
public final class Violations {
  private final List<FieldViolation> found = new ArrayList<>();

  /** Adds one violation. */
  public Violations add(String field, String description) {
    found.add(new FieldViolation(requireNonNull(field, "field"), requireNonNull(description, "description")));
    return this;
  }

  /**
   * Checks that {@code list} has at most {@code max} elements.
   *
   * @return whether it has: check the elements only then, so a huge list costs one violation
   */
  public boolean size(String field, Collection<?> list, int max) {
    requireNonNull(list, "list");
    if (list.size() > max) {
      add(field, "must have at most " + max + " elements, got " + list.size());
      return false;
    }
    return true;
  }

  /**
   * Checks that {@code text} can be stored ({@link StorableText}).
   *
   * @return whether it can
   */
  public boolean storableText(String field, String text) {
    return StorableText.problem(text).map(problem -> {
      add(field, problem);
      return false;
    }).orElse(true);
  }

  public boolean isEmpty() {
    return found.isEmpty();
  }

  /** The violations so far. */
  public List<FieldViolation> list() {
    return List.copyOf(found);
  }

  /** Throws one INVALID_ARGUMENT with every violation found, if any. */
  public void throwIfAny() {
    if (!found.isEmpty()) {
      throw new InvalidArgumentException(found);
    }
  }
}
