package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.USERS;

import dev.trellis.platform.data.filter.FilterFields;
import dev.trellis.platform.data.filter.Operator;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jooq.impl.DSL;

/**
 * The ListUsers filter fields: {@code email = "..."} (case-insensitive: both sides folded by the database's
 * lower(), which the users_email_lower_idx index serves),
 * {@code name : "..."} (contains, case-sensitive, LIKE wildcards escaped), {@code role = "..."} (has the role),
 * {@code created_at >= N} and {@code created_at <= N} (unix seconds).
 */
final class UserFilterFields {
  static final FilterFields FIELDS = FilterFields.builder()
      .text("email", Operator.EQUALS, v -> DSL.lower(USERS.EMAIL).eq(DSL.lower(DSL.val(v))))
      .text("name", Operator.HAS, USERS.NAME::contains)
      .text("role", Operator.EQUALS, role -> USERS.ROLES.contains(new String[] {role}))
      .number("created_at", Operator.GREATER_OR_EQUAL, s -> USERS.CREATED_AT.ge(atSecond(s)))
      .number("created_at", Operator.LESS_OR_EQUAL, s -> USERS.CREATED_AT.le(atSecond(s)))
      .build();

  private UserFilterFields() {}

  /** Years 1 to 9999: any second outside clamps to them, so it matches all or nothing instead of failing. */
  private static final long MIN_SECOND = -62_135_596_800L;
  private static final long MAX_SECOND = 253_402_300_799L;

  private static OffsetDateTime atSecond(long epochSecond) {
    long clamped = Math.clamp(epochSecond, MIN_SECOND, MAX_SECOND);
    return OffsetDateTime.ofInstant(Instant.ofEpochSecond(clamped), ZoneOffset.UTC);
  }
}
