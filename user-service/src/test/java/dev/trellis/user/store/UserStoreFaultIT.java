package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.EMAIL_INDEX;
import static dev.trellis.user.store.jooq.Tables.USERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.rules.UserChanges;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.data.ShardPoolSettings;
import dev.trellis.platform.data.ShardedDatabase;
import dev.trellis.platform.data.query.PageTokenCodec;
import dev.trellis.platform.error.UnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The store with one of two user shards stopped (shards of its own: the shared test shards never stop). */
class UserStoreFaultIT {
  private static final String DOWN_MESSAGE = "a user shard is unavailable; retry later";
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.own(2).migrate(UserShards.MIGRATIONS)
      .pools("user", new ShardPoolSettings(3, Duration.ofSeconds(1), 16));
  private final ShardedDatabase db = shards.database();
  private final UserStore store = UserStore.builder(db, new PageTokenCodec(
      "fault-test-page-token-key-0123456789".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
      Duration.ofHours(1))).build();

  @AfterEach
  void bringBack() {
    shards.servers().start(1);
    await().atMost(Duration.ofSeconds(30)).ignoreException(UnavailableException.class)
        .until(() -> db.shard(1).read(dsl -> dsl.fetchCount(USERS)) >= 0);
  }

  /** An email whose index entry lives on the given shard. */
  private String emailOn(int shard, String prefix) {
    for (int i = 0; ; i++) {
      String email = prefix + i + "@example.com";
      if (db.router().shardOfKey(EmailIndex.keyOf(email)) == shard) {
        return email;
      }
    }
  }

  private int bucketOn(int shard) {
    return db.router().directory().bucketsOf(shard)[3];
  }

  private static void assertUnavailable(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(UnavailableException.class,
        e -> assertThat(e.getMessage()).isEqualTo(DOWN_MESSAGE));
  }

  private long rows(Shard shard, String email) {
    return shard.read(dsl -> (long) dsl.fetchCount(USERS, USERS.EMAIL.eq(email)));
  }

  @Test
  void usersOnTheLiveShardStayServedWhileTheOtherShardIsDown() {
    StoredUser live = store.create(emailOn(0, "live"), "live", List.of(), bucketOn(0));
    StoredUser onVictim = store.create(emailOn(0, "victim"), "victim", List.of(), bucketOn(1));
    shards.servers().stop(1);

    assertThat(store.get(live.id())).isEqualTo(live);
    assertThat(store.update(live.id(), UserChanges.none().withName("renamed")).name()).isEqualTo("renamed");
    assertUnavailable(() -> store.get(onVictim.id()));
    assertUnavailable(() -> store.list("", 0, ""));

    shards.servers().start(1);
    await().atMost(Duration.ofSeconds(30)).ignoreException(UnavailableException.class)
        .untilAsserted(() -> assertThat(store.get(onVictim.id())).isEqualTo(onVictim));
  }

  @Test
  void createNeedingADownShardFailsUnavailableAndLeavesNothing() {
    String emailOnDownShard = emailOn(1, "down-index");
    String emailOnLiveShard = emailOn(0, "down-user");
    shards.servers().stop(1);

    assertUnavailable(() -> store.create(emailOnDownShard, "index shard down", List.of(), bucketOn(0)));
    assertThat(rows(db.shard(0), emailOnDownShard)).isZero();
    assertUnavailable(() -> store.create(emailOnLiveShard, "user shard down", List.of(), bucketOn(1)));
    long reservations = db.shard(0).read(dsl -> (long) dsl.fetchCount(EMAIL_INDEX,
        EMAIL_INDEX.EMAIL.eq(EmailIndex.keyOf(emailOnLiveShard))));
    assertThat(reservations).isZero();

    bringBack();
    StoredUser created = store.create(emailOnDownShard, "after the outage", List.of(), bucketOn(1));
    assertThat(store.get(created.id()).email()).isEqualTo(emailOnDownShard);
  }

  @Test
  void deleteWhileTheEmailShardIsDownSucceedsAndTheEmailIsFreeAfterwards() {
    String email = emailOn(1, "freed");
    StoredUser user = store.create(email, "to delete", List.of(), bucketOn(0));
    shards.servers().stop(1);
    assertThat(store.delete(user.id())).isEqualTo(user); // the index entry stays behind for now

    bringBack();
    StoredUser again = store.create(email, "takes the freed email", List.of(), bucketOn(0));
    assertThat(again.id()).isNotEqualTo(user.id());
    long entries = db.shard(1).read(dsl -> (long) dsl.fetchCount(EMAIL_INDEX,
        EMAIL_INDEX.EMAIL.eq(EmailIndex.keyOf(email)).and(EMAIL_INDEX.USER_ID.eq(again.id()))
            .and(EMAIL_INDEX.CONFIRMED.isTrue())));
    assertThat(entries).isEqualTo(1);
  }
}
