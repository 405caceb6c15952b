package dev.trellis.platform.error;

import java.util.List;
import java.util.stream.Collectors;

/** The request is malformed: INVALID_ARGUMENT with a google.rpc.BadRequest listing every bad field. */
public final class InvalidArgumentException extends ApiException {
  private final List<FieldViolation> violations;

  public InvalidArgumentException(List<FieldViolation> violations) {
    super("INVALID_ARGUMENT", describe(violations));
    this.violations = List.copyOf(violations);
  }

  /** One bad field. */
  public static InvalidArgumentException of(String field, String description) {
    return new InvalidArgumentException(List.of(new FieldViolation(field, description)));
  }

  public List<FieldViolation> violations() {
    return violations;
  }

  private static String describe(List<FieldViolation> violations) {
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("an invalid argument needs at least one field violation");
    }
    return violations.stream().map(v -> v.field() + ": " + v.description()).collect(Collectors.joining("; "));
  }
}
