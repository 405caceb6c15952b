package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.USERS;
import static java.util.Objects.requireNonNull;

import dev.trellis.platform.data.MergedCursor;
import dev.trellis.platform.data.PointReads;
import dev.trellis.platform.data.RoutedRows;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.filter.Filter;
import dev.trellis.platform.data.filter.FilterParser;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.data.route.BucketDirectory;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.error.AbortedException;
import dev.trellis.platform.error.AlreadyExistsException;
import dev.trellis.platform.error.NotFoundException;
import dev.trellis.platform.error.UnavailableException;
import dev.trellis.user.rules.UserChanges;
import dev.trellis.user.store.jooq.tables.records.UsersRecord;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jooq.Condition;
import org.jooq.impl.DSL;

/**
 * Users on the sharded database. A user lives on the shard of its id's bucket, chosen at random at creation to
 * spread users evenly; its email is unique across all shards through the {@link EmailIndex}. Every change writes
 * its user_events row in the same transaction. Methods throw the platform's ApiExceptions; field formats (email
 * syntax, name length, known roles) are the rules' business, not the store's.
 *
 * <h2>Email uniqueness protocol</h2>
 * <b>Create</b>: (a) draw a random bucket, generate the id on its user shard U; (b) reserve the email on the index
 * shard E (see {@link EmailIndex} for conflicts); (c) in ONE transaction on U insert the user and its CREATED event
 * (on failure, delete the reservation and fail); (d) confirm the entry if it still names our id. If it does not
 * (a slower-than-grace create lost its reservation to a takeover), delete our user row with a DELETED event and
 * answer ALREADY_EXISTS; if E is unreachable at (d), undo the same way and answer UNAVAILABLE.
 * <br><b>Email change</b>: reserve the new email, update user + UPDATED event on U (guarded by the old email),
 * confirm the new entry (if lost: put the old email back and answer ALREADY_EXISTS), then delete the old entry.
 * <br><b>Delete</b>: delete the user + DELETED event on U, then delete its entry (WHERE user_id = id).
 *
 * <p><b>What a crash leaves</b> (the process dies between steps; nothing is wrong while every step runs):
 * after (b): an unconfirmed entry with no user, taken over once older than the grace period; after (c): a user
 * whose entry is unconfirmed, which the next reservation of that email confirms (repair) - until then a second
 * create of that email within the grace period gets ALREADY_EXISTS, as it should. After an email change's update
 * or a delete, the old entry stays confirmed though its user no longer has the email; the next reservation of
 * that email sees it and removes it. The one window that can leave two users with one email needs a create
 * stalled for longer than the grace period AND a crash before its step (d) deletes its row; the grace period
 * (default 30 s, far above a create's duration) is what keeps it theoretical.
 */
public final class UserStore {
  /** The resource type in NOT_FOUND and ALREADY_EXISTS details. */
  public static final String RESOURCE_TYPE = "trellis.user.v1.User";
  private final ShardedDatabase db;
  /** Reads of a user by id (GetUser, and UpdateUser before it writes): batched per shard under load (issue 15). */
  private final PointReads<UsersRecord> byId;
  private final Clock clock;
  private final EmailIndex emails;
  private final PageTokenCodec pageTokens;

  private UserStore(ShardedDatabase db, Clock clock, UserStoreSettings settings, PageTokenCodec pageTokens) {
    this.db = db;
    this.byId = db.pointReads(USERS, USERS.ID);
    this.clock = clock;
    this.emails = new EmailIndex(db, clock, settings.reservationGrace());
    this.pageTokens = pageTokens;
  }

  public static Builder builder(ShardedDatabase db, PageTokenCodec pageTokens) {
    return new Builder(db, pageTokens);
  }

  /**
   * Creates a user on a random shard.
   *
   * @throws AlreadyExistsException when the email (case-insensitively) belongs to another user
   * @throws UnavailableException when a shard it needs is down; then nothing of the user remains
   */
  public StoredUser create(String email, String name, List<String> roles) {
    return create(email, name, roles, db.router().randomBucket());
  }

  /** {@link #create(String, String, List)} in a chosen bucket (tests place racing creates on chosen shards). */
  StoredUser create(String email, String name, List<String> roles, int bucket) {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    requireNonNull(roles, "roles");
    long id = db.shardOfBucket(bucket).nextId(bucket);
    emails.reserve(email, id);
    StoredUser user;
    try {
      user = insertUser(id, email, name, roles);
    } catch (RuntimeException e) {
      emails.releaseLater(email, id);
      throw e;
    }
    confirmCreated(user);
    return user;
  }

  /**
   * The user with this id.
   *
   * @throws NotFoundException for an id never issued or deleted, whatever its bucket bits say
   */
  public StoredUser get(long id) {
    return byId.fetch(id)
        .map(UserStore::toStoredUser)
        .orElseThrow(() -> notFound(id));
  }

  /**
   * The shards that hold these users, and so their update events: what a subscription to them needs (a shard down
   * elsewhere does not concern it).
   */
  public Set<Integer> shardsOf(Collection<Long> ids) {
    Set<Integer> shards = new TreeSet<>();
    for (long id : ids) {
      shards.add(db.router().shardOfId(id));
    }
    return shards;
  }

  /**
   * Changes the given fields. A new email is reserved first and stays unique across shards.
   *
   * @throws NotFoundException when there is no such user
   * @throws AlreadyExistsException when the new email belongs to another user
   * @throws AbortedException when another call changed this user's email at the same time
   */
  public StoredUser update(long id, UserChanges changes) {
    return update(get(id), changes);
  }

  /**
   * {@link #update(long, UserChanges)} of a user the caller has just read: saves the second read.
   *
   * @throws NotFoundException when the user was deleted meanwhile
   */
  public StoredUser update(StoredUser current, UserChanges changes) {
    requireNonNull(current, "current");
    requireNonNull(changes, "changes");
    long id = current.id();
    String email = changes.email().orElse(current.email());
    boolean emailMoves = !EmailIndex.keyOf(email).equals(EmailIndex.keyOf(current.email()));
    if (emailMoves) {
      emails.reserve(email, id);
    }
    StoredUser updated;
    try {
      updated = writeUpdate(current, changes);
    } catch (RuntimeException e) {
      if (emailMoves) {
        emails.releaseLater(email, id);
      }
      throw e;
    }
    if (emailMoves) {
      boolean confirmed;
      try {
        confirmed = emails.confirm(email, id);
      } catch (UnavailableException e) {
        revertEmail(updated, current.email());
        throw e;
      }
      if (!confirmed) {
        revertEmail(updated, current.email());
        throw EmailIndex.taken(email);
      }
      emails.releaseLater(current.email(), id);
    }
    return updated;
  }

  /**
   * Deletes the user and frees its email.
   *
   * @return the user as it was
   * @throws NotFoundException when there is no such user
   */
  public StoredUser delete(long id) {
    UsersRecord row = db.shardOfId(id).transaction(tx -> {
      UsersRecord deleted = Shard.fetchOptional(tx, ShardId.bucketOf(id),
          tx.deleteFrom(USERS).where(USERS.ID.eq(id)).returning()).orElseThrow(() -> notFound(id));
      UserEventLog.append(tx, UserEventLog.DELETED, deleted);
      return deleted;
    });
    emails.releaseLater(row.getEmail(), id);
    return toStoredUser(row);
  }

  /**
   * Streams the users matching {@code filter} in ascending id across all shards, {@code pageSize} at most (0: all),
   * after the page the token stands for.
   *
   * @throws dev.trellis.platform.error.InvalidArgumentException on field {@code filter} or {@code page_token}
   */
  public UserListing list(String filter, int pageSize, String pageToken) {
    requireNonNull(pageToken, "pageToken");
    if (pageSize < 0) {
      throw new IllegalArgumentException("pageSize must be >= 0");
    }
    Filter parsed = FilterParser.parse(filter);
    Condition where = UserFilterFields.FIELDS.toCondition(parsed);
    String filterKey = parsed.canonical();
    if (!pageToken.isEmpty()) {
      where = where.and(USERS.ID.gt(pageTokens.decode(pageToken, filterKey)));
    }
    Condition condition = where;
    // One directory version for the whole stream: each user is read on the one shard it names, even while its
    // bucket moves and two shards hold its row.
    BucketDirectory directory = db.router().directory();
    MergedCursor<StoredUser> cursor = db.scatterGather().streamByShard(db.shards(),
        shard -> (dsl, after) -> dsl.selectFrom(USERS)
            .where(condition, RoutedRows.byId(directory, shard.index(), USERS.ID),
                after.map(last -> USERS.ID.gt(last.id())).orElse(DSL.noCondition()))
            .orderBy(USERS.ID),
        UserStore::toStoredUser, Comparator.comparingLong(StoredUser::id), pageSize);
    return new UserListing(cursor, pageTokens, filterKey);
  }

  /** Step (c) of create: the user row and its CREATED event in one transaction on the user's shard. */
  StoredUser insertUser(long id, String email, String name, List<String> roles) {
    OffsetDateTime now = now();
    UsersRecord row = db.shardOfId(id).transaction(tx -> {
      UsersRecord inserted = tx.insertInto(USERS)
          .set(USERS.ID, id)
          .set(USERS.EMAIL, email)
          .set(USERS.NAME, name)
          .set(USERS.ROLES, roles.toArray(String[]::new))
          .set(USERS.CREATED_AT, now)
          .set(USERS.UPDATED_AT, now)
          .returning()
          .fetchSingle();
      UserEventLog.append(tx, UserEventLog.CREATED, inserted);
      return inserted;
    });
    return toStoredUser(row);
  }

  /** Step (d) of create: confirm the email, or undo the user when the email was lost or cannot be confirmed. */
  void confirmCreated(StoredUser user) {
    boolean confirmed;
    try {
      confirmed = emails.confirm(user.email(), user.id());
    } catch (UnavailableException e) {
      deleteQuietly(user.id(), e);
      throw e;
    }
    if (!confirmed) {
      AlreadyExistsException taken = EmailIndex.taken(user.email());
      deleteQuietly(user.id(), taken);
      throw taken;
    }
  }

  EmailIndex emailIndex() {
    return emails;
  }

  /**
   * Writes only the changed columns: a field outside the mask is not written back from {@code current}, so two
   * updates of different fields at the same time (a user renaming itself while an admin removes a role) both hold.
   */
  StoredUser writeUpdate(StoredUser current, UserChanges changes) {
    OffsetDateTime now = now();
    UsersRecord row = db.shardOfId(current.id()).transaction(tx -> {
      var update = tx.update(USERS)
          .set(USERS.UPDATED_AT, now)
          .set(USERS.VERSION, USERS.VERSION.plus(1));
      if (changes.email().isPresent()) {
        update = update.set(USERS.EMAIL, changes.email().get());
      }
      if (changes.name().isPresent()) {
        update = update.set(USERS.NAME, changes.name().get());
      }
      if (changes.roles().isPresent()) {
        update = update.set(USERS.ROLES, changes.roles().get().toArray(String[]::new));
      }
      Optional<UsersRecord> updated = Shard.fetchOptional(tx, ShardId.bucketOf(current.id()), update
          .where(USERS.ID.eq(current.id()), USERS.EMAIL.eq(current.email()))
          .returning());
      if (updated.isEmpty()) {
        if (tx.fetchExists(USERS, USERS.ID.eq(current.id()))) {
          throw new AbortedException("the user's email changed during this update; retry");
        }
        throw notFound(current.id());
      }
      UserEventLog.append(tx, UserEventLog.UPDATED, updated.get());
      return updated.get();
    });
    return toStoredUser(row);
  }

  /** Puts the old email back after the new one was lost; the old entry still names this user. */
  private void revertEmail(StoredUser updated, String oldEmail) {
    db.shardOfId(updated.id()).transaction(tx -> {
      UsersRecord reverted = tx.update(USERS)
          .set(USERS.EMAIL, oldEmail)
          .set(USERS.UPDATED_AT, now())
          .set(USERS.VERSION, USERS.VERSION.plus(1))
          .where(USERS.ID.eq(updated.id()), USERS.EMAIL.eq(updated.email()))
          .returning()
          .fetchOne();
      if (reverted != null) {
        UserEventLog.append(tx, UserEventLog.UPDATED, reverted);
      }
      return reverted;
    });
  }

  /** Deletes a user whose creation failed late; its CREATED event is answered by a DELETED one. */
  private void deleteQuietly(long id, RuntimeException cause) {
    try {
      db.shardOfId(id).transaction(tx -> {
        UsersRecord deleted = tx.deleteFrom(USERS).where(USERS.ID.eq(id)).returning().fetchOne();
        if (deleted != null) {
          UserEventLog.append(tx, UserEventLog.DELETED, deleted);
        }
        return deleted;
      });
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  private OffsetDateTime now() {
    return databaseNow(clock);
  }

  /** The time on {@code clock} as PostgreSQL keeps a timestamptz: to the microsecond, so what is read back is equal. */
  static OffsetDateTime databaseNow(Clock clock) {
    return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  static StoredUser toStoredUser(UsersRecord r) {
    return new StoredUser(r.getId(), r.getEmail(), r.getName(), List.of(r.getRoles()), r.getCreatedAt().toInstant(),
        r.getUpdatedAt().toInstant());
  }

  private static NotFoundException notFound(long id) {
    return new NotFoundException(RESOURCE_TYPE, "users/" + id);
  }

  /** Builds a {@link UserStore}. */
  public static final class Builder {
    private final ShardedDatabase db;
    private final PageTokenCodec pageTokens;
    private Clock clock = Clock.systemUTC();
    private UserStoreSettings settings = UserStoreSettings.defaults();

    private Builder(ShardedDatabase db, PageTokenCodec pageTokens) {
      this.db = requireNonNull(db, "db");
      this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    }

    /** The clock of timestamps and of the reservation grace period; tests move it. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    public Builder settings(UserStoreSettings settings) {
      this.settings = requireNonNull(settings, "settings");
      return this;
    }

    public UserStore build() {
      return new UserStore(db, clock, settings, pageTokens);
    }
  }
}
