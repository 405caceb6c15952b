package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.EMAIL_INDEX;
import static dev.trellis.user.store.jooq.Tables.USERS;

import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.error.AbortedException;
import dev.trellis.platform.error.AlreadyExistsException;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.user.store.jooq.tables.records.EmailIndexRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cross-shard unique index of user emails. The entry of an email lives on the shard of
 * hash(lower(email)) and names the user that holds it; {@code confirmed} says the user row exists.
 *
 * <p>Reserving an email inserts an unconfirmed entry. On conflict with an existing entry:
 * <ul>
 *   <li>confirmed, and its user still has that email: the email is taken (ALREADY_EXISTS);
 *   <li>confirmed, but its user is gone or has another email (a delete or email change whose cleanup did not run):
 *       the leftover is removed (conditionally on its user id) and the reservation retried;
 *   <li>unconfirmed, and its user exists with that email (its creator committed but did not confirm yet, or
 *       crashed): it is confirmed here (a repair) and the email is taken;
 *   <li>unconfirmed, no such user, and older than the grace period: the creator is presumed dead and the entry is
 *       taken over with a conditional UPDATE ... WHERE user_id = its old user;
 *   <li>unconfirmed, no such user, younger than the grace period: someone is creating it now; taken.
 * </ul>
 */
final class EmailIndex {
  private static final Logger log = LoggerFactory.getLogger(EmailIndex.class);
  private static final int MAX_ATTEMPTS = 4;

  private final ShardedDatabase db;
  private final Clock clock;
  private final Duration grace;

  EmailIndex(ShardedDatabase db, Clock clock, Duration grace) {
    this.db = db;
    this.clock = clock;
    this.grace = grace;
  }

  /** The index key of an email: uniqueness is case-insensitive. */
  static String keyOf(String email) {
    return email.toLowerCase(Locale.ROOT);
  }

  /** The shard holding the entry of an email. */
  Shard shardOf(String email) {
    return db.shardOfKey(keyOf(email));
  }

  /**
   * Reserves {@code email} for {@code userId} (unconfirmed). Returns normally when the entry is ours.
   *
   * @throws AlreadyExistsException when another user holds it or is creating it now
   */
  void reserve(String email, long userId) {
    String key = keyOf(email);
    Shard shard = db.shardOfKey(key);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      OffsetDateTime now = now();
      int inserted = shard.read(dsl -> dsl.insertInto(EMAIL_INDEX)
          .set(EMAIL_INDEX.EMAIL, key)
          .set(EMAIL_INDEX.USER_ID, userId)
          .set(EMAIL_INDEX.CONFIRMED, false)
          .set(EMAIL_INDEX.RESERVED_AT, now)
          .onConflictDoNothing()
          .execute());
      if (inserted == 1) {
        return;
      }
      EmailIndexRecord held = shard.read(dsl -> dsl.selectFrom(EMAIL_INDEX).where(EMAIL_INDEX.EMAIL.eq(key)).fetchOne());
      if (held == null) {
        continue; // released in between: try the insert again
      }
      long holder = held.getUserId();
      if (holder == userId) {
        return; // ours already: a retried change
      }
      if (held.getConfirmed()) {
        if (holderHasEmail(holder, key, true)) {
          throw taken(email);
        }
        shard.read(dsl -> dsl.deleteFrom(EMAIL_INDEX).where(EMAIL_INDEX.EMAIL.eq(key),
            EMAIL_INDEX.USER_ID.eq(holder), EMAIL_INDEX.CONFIRMED.isTrue()).execute());
        continue;
      }
      if (holderHasEmail(holder, key, false)) {
        confirm(key, holder);
        throw taken(email);
      }
      if (held.getReservedAt().toInstant().plus(grace).isAfter(now.toInstant())) {
        throw taken(email);
      }
      int takenOver = shard.read(dsl -> dsl.update(EMAIL_INDEX)
          .set(EMAIL_INDEX.USER_ID, userId)
          .set(EMAIL_INDEX.RESERVED_AT, now)
          .where(EMAIL_INDEX.EMAIL.eq(key), EMAIL_INDEX.USER_ID.eq(holder), EMAIL_INDEX.CONFIRMED.isFalse())
          .execute());
      if (takenOver == 1) {
        log.info("took over an abandoned email reservation of user {}", holder);
        return;
      }
    }
    throw new AbortedException("the email changed hands several times during this call; retry");
  }

  /**
   * Confirms the entry of {@code email} if it still names {@code userId}.
   *
   * @return false when the reservation was taken over meanwhile (the caller lost the email)
   */
  boolean confirm(String email, long userId) {
    String key = keyOf(email);
    return db.shardOfKey(key).read(dsl -> dsl.update(EMAIL_INDEX)
        .set(EMAIL_INDEX.CONFIRMED, true)
        .where(EMAIL_INDEX.EMAIL.eq(key), EMAIL_INDEX.USER_ID.eq(userId))
        .execute()) == 1;
  }

  /** Deletes the entry of {@code email} if it names {@code userId}. */
  void release(String email, long userId) {
    String key = keyOf(email);
    db.shardOfKey(key).read(dsl -> dsl.deleteFrom(EMAIL_INDEX)
        .where(EMAIL_INDEX.EMAIL.eq(key), EMAIL_INDEX.USER_ID.eq(userId)).execute());
  }

  /**
   * {@link #release}, tolerating an unavailable index shard: the entry then stays behind, and the next reservation
   * of that email finds its user gone (or changed) and removes it.
   */
  void releaseLater(String email, long userId) {
    try {
      release(email, userId);
    } catch (UnavailableException e) {
      log.warn("email index entry of user {} left behind (its shard is unavailable); it is repaired on next use",
          userId);
    }
  }

  /**
   * Whether the holder's row exists with this email. Compared here with {@link #keyOf}, not with SQL lower(): the
   * database's lower() follows its locale and may not fold non-ASCII letters the way the key did.
   */
  private boolean holderHasEmail(long holder, String key, boolean assumeSoIfUnavailable) {
    try {
      // No row is "gone" only on the owner of the holder's bucket: on a shard the bucket left (a directory older
      // than a move's source grace) it is UNAVAILABLE, or the email of a user that exists would be handed over.
      return db.fetchOptionalById(holder, dsl -> dsl.select(USERS.EMAIL).from(USERS).where(USERS.ID.eq(holder)))
          .map(row -> keyOf(row.value1()).equals(key))
          .orElse(false);
    } catch (UnavailableException e) {
      if (assumeSoIfUnavailable) {
        return true; // a confirmed entry is right nearly always; refusing is the safe answer
      }
      throw e;
    }
  }

  private OffsetDateTime now() {
    return UserStore.databaseNow(clock);
  }

  static AlreadyExistsException taken(String email) {
    return new AlreadyExistsException(UserStore.RESOURCE_TYPE, "users:email/" + email,
        "a user with email " + email + " already exists");
  }
}
