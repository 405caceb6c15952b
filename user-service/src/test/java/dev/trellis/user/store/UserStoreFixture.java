package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.EMAIL_INDEX;
import static dev.trellis.user.store.jooq.Tables.USERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.base.Suppliers;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.testing.MutableClock;
import dev.trellis.user.store.jooq.tables.records.EmailIndexRecord;
import dev.trellis.user.store.jooq.tables.records.UsersRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** A store on a users database, a movable clock, and checks over every shard. */
final class UserStoreFixture {
  static final Duration GRACE = Duration.ofSeconds(30);
  final MutableClock clock = new MutableClock(Instant.parse("2026-06-01T12:00:00Z"));
  final PageTokenCodec pageTokens;
  private final Supplier<ShardedDatabase> database;
  private UserStore store;

  /** The shards of a store test: a users database per class, migrated, on the shared shards. */
  static ShardsExtension shards() {
    return ShardsExtension.shared().migrate(UserShards.MIGRATIONS)
        .pools("user", ShardsExtension.SMALL_POOLS);
  }

  /** A store on {@code database}, asked for once, on first use (after the extension has started the shards). */
  UserStoreFixture(Supplier<ShardedDatabase> database) {
    this.database = Suppliers.memoize(database::get);
    pageTokens = new PageTokenCodec("test-page-token-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8),
        clock, Duration.ofHours(1));
  }

  ShardedDatabase db() {
    return database.get();
  }

  synchronized UserStore store() {
    if (store == null) {
      store = UserStore.builder(db(), pageTokens).clock(clock).settings(new UserStoreSettings(GRACE)).build();
    }
    return store;
  }

  /** A bucket that lives on the given shard. */
  int bucketOn(int shard) {
    return db().router().directory().bucketsOf(shard)[7];
  }

  List<UsersRecord> allUsers() {
    List<UsersRecord> all = new ArrayList<>();
    for (Shard s : db().shards()) {
      all.addAll(s.read(dsl -> dsl.selectFrom(USERS).fetch()));
    }
    return all;
  }

  List<EmailIndexRecord> allEntries() {
    List<EmailIndexRecord> all = new ArrayList<>();
    for (Shard s : db().shards()) {
      all.addAll(s.read(dsl -> dsl.selectFrom(EMAIL_INDEX).fetch()));
    }
    return all;
  }

  /**
   * No orphans: every index entry is confirmed and lives on its email's shard naming a user with that email, and
   * every user has exactly that entry.
   */
  void assertNoOrphans() {
    List<UsersRecord> users = allUsers();
    List<EmailIndexRecord> entries = allEntries();
    assertThat(entries).allSatisfy(e -> assertThat(e.getConfirmed()).as("entry %s confirmed", e.getEmail()).isTrue());
    assertThat(entries).hasSameSizeAs(users);
    for (UsersRecord u : users) {
      String key = EmailIndex.keyOf(u.getEmail());
      EmailIndexRecord entry = db().shardOfKey(key).read(dsl -> dsl.selectFrom(EMAIL_INDEX)
          .where(EMAIL_INDEX.EMAIL.eq(key)).fetchOne());
      assertThat(entry).as("entry of user %s", u.getId()).isNotNull();
      assertThat(entry.getUserId()).isEqualTo(u.getId());
      assertThat(entry.getConfirmed()).isTrue();
    }
  }
}
