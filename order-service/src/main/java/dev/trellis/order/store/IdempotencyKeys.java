package dev.trellis.order.store;

import static dev.trellis.order.store.jooq.Tables.IDEMPOTENCY_KEYS;
import static java.util.Objects.requireNonNull;

import dev.trellis.order.store.jooq.tables.records.IdempotencyKeysRecord;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.error.UnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotency keys of CreateOrder (AIP-155), one per user and key on the user's shard. A key is stored with the
 * order it created, in the order's transaction ({@link SagaJournal#begin}), or with the client error its first call
 * answered ({@link #recordError}); a failure of the server stores nothing, so a retry runs again.
 */
public final class IdempotencyKeys {
  private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);

  private final ShardedDatabase db;
  private final Clock clock;

  public IdempotencyKeys(ShardedDatabase db, Clock clock) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
  }

  /** The key as stored, if this user used it (and it was not purged). */
  public Optional<StoredKey> find(long userId, String key) {
    return Optional.ofNullable(db.shardOfId(userId).read(dsl -> dsl.selectFrom(IDEMPOTENCY_KEYS)
        .where(IDEMPOTENCY_KEYS.USER_ID.eq(userId), IDEMPOTENCY_KEYS.IDEMPOTENCY_KEY.eq(key))
        .fetchOne())).map(IdempotencyKeys::toKey);
  }

  /**
   * Stores the key with the client error its first call answered, unless the key exists.
   *
   * @return the key as it existed before, when another call stored it first; empty when this call stored it
   */
  public Optional<StoredKey> recordError(long userId, String key, byte[] requestHash, byte[] error) {
    int stored = db.shardOfId(userId).read(dsl -> dsl.insertInto(IDEMPOTENCY_KEYS)
        .set(IDEMPOTENCY_KEYS.USER_ID, userId)
        .set(IDEMPOTENCY_KEYS.IDEMPOTENCY_KEY, key)
        .set(IDEMPOTENCY_KEYS.REQUEST_HASH, requestHash)
        .set(IDEMPOTENCY_KEYS.ERROR, error)
        .set(IDEMPOTENCY_KEYS.CREATED_AT, OrderRows.databaseNow(clock))
        .onConflictDoNothing()
        .execute());
    return stored == 1 ? Optional.empty() : find(userId, key);
  }

  /** Deletes the keys older than {@code retention} on every reachable shard; returns how many went. */
  public int purgeOlderThan(Duration retention, Instant now) {
    OffsetDateTime cutoff = OffsetDateTime.ofInstant(now.minus(retention), ZoneOffset.UTC);
    int purged = 0;
    for (var shard : db.shards()) {
      try {
        purged += shard.read(dsl -> dsl.deleteFrom(IDEMPOTENCY_KEYS)
            .where(IDEMPOTENCY_KEYS.CREATED_AT.lt(cutoff)).execute());
      } catch (UnavailableException e) {
        log.warn("cannot purge the idempotency keys of {} now: {}", shard.name(), e.getMessage());
      }
    }
    return purged;
  }

  private static StoredKey toKey(IdempotencyKeysRecord r) {
    return new StoredKey(r.getUserId(), r.getIdempotencyKey(), r.getRequestHash(),
        Optional.ofNullable(r.getOrderId()), Optional.ofNullable(r.getError()));
  }

  /**
   * A stored key and what its first call answered: an order, or a client error.
   *
   * @param error the serialized status of the client error
   */
  public record StoredKey(long userId, String key, byte[] requestHash, Optional<Long> orderId,
      Optional<byte[]> error) {
    public StoredKey {
      requireNonNull(key, "key");
      requireNonNull(requestHash, "requestHash");
      requireNonNull(orderId, "orderId");
      requireNonNull(error, "error");
    }
  }
}
