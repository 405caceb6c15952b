package dev.trellis.platform.error;

import static java.util.Objects.requireNonNull;

/**
 * One bad field of a request, as google.rpc.BadRequest.FieldViolation shows it.
 *
 * @param field the path of the field in the request, such as {@code user.email} or {@code items[2].quantity}
 * @param description what is wrong, for the client
 */
public record FieldViolation(String field, String description) {
  public FieldViolation {
    requireNonNull(field, "field");
    requireNonNull(description, "description");
  }
}
