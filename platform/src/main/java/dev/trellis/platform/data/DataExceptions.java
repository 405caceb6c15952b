package dev.trellis.platform.data;

import dev.trellis.platform.error.InvalidArgumentException;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: a value it cannot store or compare, such as a NUL character,
 * a number out of range or a string too long) are the caller's input, not a server fault: INVALID_ARGUMENT, never
 * INTERNAL. Validation should have caught them first ({@code StorableText}, field rules); this is the net behind
 * it. The client reads which kind of value it was, in plain words; the SQL and the driver's message stay in the log.
 */
final class DataExceptions {
  private static final Logger log = LoggerFactory.getLogger(DataExceptions.class);
  /** The field of the violation: the database cannot say which request field held the value. */
  static final String FIELD = "request";
  private static final Map<String, String> DESCRIPTIONS = Map.of(
      "22021", "holds a character the database cannot store (such as NUL)",
      "22P05", "holds a character the database cannot store",
      "22001", "holds a value too long to store",
      "22003", "holds a number out of range",
      "22008", "holds a date or time out of range",
      "22007", "holds a malformed date or time",
      "22P02", "holds a value of the wrong type");

  private DataExceptions() {}

  /** The INVALID_ARGUMENT a class-22 failure stands for, if {@code failure} is one. */
  static Optional<InvalidArgumentException> asInvalidArgument(String shard, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("22")) {
        log.info("shard {} refused a value (SQLSTATE {}): {}", shard, sql.getSQLState(), sql.getMessage());
        return Optional.of(InvalidArgumentException.of(FIELD,
            DESCRIPTIONS.getOrDefault(sql.getSQLState(), "holds a value the database cannot accept")));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }
}
