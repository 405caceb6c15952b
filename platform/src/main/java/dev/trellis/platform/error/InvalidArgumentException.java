package dev.trellis.platform.error;

import java.util.List;

/**
 * The request is malformed: INVALID_ARGUMENT with a google.rpc.BadRequest listing the bad fields. The message is a
 * short summary (the first violation, and how many more there are): the violations themselves travel once, in the
 * BadRequest, and {@link StatusMapper} bounds how many of them a client is sent.
 */
public final class InvalidArgumentException extends ApiException {
  private final List<FieldViolation> violations;

  public InvalidArgumentException(List<FieldViolation> violations) {
    super("INVALID_ARGUMENT", summary(violations));
    this.violations = List.copyOf(violations);
  }

  /** One bad field. */
  public static InvalidArgumentException of(String field, String description) {
    return new InvalidArgumentException(List.of(new FieldViolation(field, description)));
  }

  public List<FieldViolation> violations() {
    return violations;
  }

  /** {@code email: is required}, or {@code email: is required (and 2 more field violations)}. */
  static String summary(List<FieldViolation> violations) {
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("an invalid argument needs at least one field violation");
    }
    FieldViolation first = violations.getFirst();
    String text = StatusMapper.clip(first.field(), StatusMapper.MAX_FIELD_CHARS) + ": "
        + StatusMapper.clip(first.description(), StatusMapper.MAX_DESCRIPTION_CHARS);
    int more = violations.size() - 1;
    return more == 0 ? text : text + " (and " + more + " more field violation" + (more == 1 ? ")" : "s)");
  }
}
