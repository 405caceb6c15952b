package dev.trellis.platform.validation;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * What PostgreSQL cannot keep in a text value: the NUL character (it refuses it, SQLSTATE 22021) and unpaired UTF-16
 * surrogates (they are not Unicode; the driver would store them as '?'). gRPC's proto3 parsing refuses invalid UTF-8
 * already; this catches what arrives another way (a JSON escape of NUL or of a lone surrogate through a
 * transcoder). The one check every string that can reach the database passes: request validation
 * ({@link Violations#storableText}) and filter values.
 */
public final class StorableText {
  private StorableText() {}

  /** Why {@code text} cannot be stored, for a field violation's description; empty when it can. */
  public static Optional<String> problem(String text) {
    requireNonNull(text, "text");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0') {
        return Optional.of("must not contain the NUL character (at character " + (i + 1) + ")");
      }
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(i + 1));
        if (!paired) {
          return Optional.of("must be valid Unicode: an unpaired surrogate at character " + (i + 1));
        }
        i++;
      }
    }
    return Optional.empty();
  }
}
