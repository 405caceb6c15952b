package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.EMAIL_INDEX;
import static dev.trellis.user.store.jooq.Tables.USERS;
import static dev.trellis.user.store.jooq.Tables.USER_EVENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.user.rules.UserChanges;
import dev.trellis.platform.data.Shard;
import dev.trellis.platform.error.AlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Email uniqueness across shards under races, takeovers and half-finished creates. */
class EmailRaceIT {
  @RegisterExtension
  static final ShardsExtension shards = UserStoreFixture.shards();
  private static final UserStoreFixture f = new UserStoreFixture(shards::database);

  @Test
  void concurrentCreatesOfOneEmailOnDifferentUserShardsLetExactlyOneWinAndLeaveNoOrphans() throws Exception {
    int racers = 8;
    for (int round = 0; round < 15; round++) {
      String email = "race" + round + "@example.com";
      CountDownLatch start = new CountDownLatch(1);
      List<Future<StoredUser>> results = new ArrayList<>();
      try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int r = 0; r < racers; r++) {
          int bucket = f.bucketOn(r % 4); // every user shard takes part in every race
          // Case differs between racers: uniqueness is case-insensitive.
          String spelled = r % 2 == 0 ? email : email.toUpperCase(java.util.Locale.ROOT);
          results.add(executor.submit(() -> {
            start.await();
            return f.store().create(spelled, "racer", List.of("user"), bucket);
          }));
        }
        start.countDown();
      }
      int winners = 0;
      int taken = 0;
      for (Future<StoredUser> result : results) {
        try {
          result.get();
          winners++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(AlreadyExistsException.class);
          taken++;
        }
      }
      assertThat(winners).as("round %d winners", round).isEqualTo(1);
      assertThat(taken).isEqualTo(racers - 1);
    }
    f.assertNoOrphans();
    // The other tests of this class share the database and may have run first: count this test's users only.
    assertThat(f.allUsers()).filteredOn(u -> u.getEmail().toLowerCase(java.util.Locale.ROOT).startsWith("race"))
        .hasSize(15);
  }

  @Test
  void reservationInFlightRefusesOthersUntilTheGracePeriodThenCanBeTakenOver() {
    String email = "stalled@example.com";
    long stalledId = f.db().shardOfBucket(f.bucketOn(1)).nextId(f.bucketOn(1));
    f.store().emailIndex().reserve(email, stalledId); // a create that stops after step (b)

    assertThatThrownBy(() -> f.store().create(email, "second", List.of(), f.bucketOn(2)))
        .isInstanceOf(AlreadyExistsException.class);
    f.clock.advance(UserStoreFixture.GRACE.plusSeconds(1));
    StoredUser winner = f.store().create(email, "third", List.of(), f.bucketOn(3));
    assertThat(f.store().get(winner.id()).email()).isEqualTo(email);

    // The stalled create wakes up: inserts its row (c), fails to confirm (d), and removes its row again.
    StoredUser late = f.store().insertUser(stalledId, email, "stalled", List.of());
    assertThatThrownBy(() -> f.store().confirmCreated(late)).isInstanceOf(AlreadyExistsException.class);
    boolean rowLeft = f.db().shardOfId(stalledId).read(dsl -> dsl.fetchExists(USERS, USERS.ID.eq(stalledId)));
    assertThat(rowLeft).isFalse();
    List<String> events = f.db().shardOfId(stalledId).read(dsl -> dsl.select(USER_EVENTS.EVENT_TYPE)
        .from(USER_EVENTS).where(USER_EVENTS.USER_ID.eq(stalledId)).orderBy(USER_EVENTS.SEQ)
        .fetch(USER_EVENTS.EVENT_TYPE));
    assertThat(events).containsExactly("CREATED", "DELETED");
    f.assertNoOrphans();
  }

  @Test
  void createThatCommittedButNeverConfirmedIsRepairedByTheNextContender() {
    String email = "crashed@example.com";
    int bucket = f.bucketOn(0);
    long id = f.db().shardOfBucket(bucket).nextId(bucket);
    f.store().emailIndex().reserve(email, id);
    f.store().insertUser(id, email, "crashed before confirm", List.of()); // then the process died
    f.clock.advance(UserStoreFixture.GRACE.multipliedBy(3)); // even long after: the user exists, so no takeover

    assertThatThrownBy(() -> f.store().create(email, "contender", List.of(), f.bucketOn(3)))
        .isInstanceOf(AlreadyExistsException.class);
    Shard indexShard = f.store().emailIndex().shardOf(email);
    Boolean confirmed = indexShard.read(dsl -> dsl.select(EMAIL_INDEX.CONFIRMED).from(EMAIL_INDEX)
        .where(EMAIL_INDEX.EMAIL.eq(email)).fetchOne(EMAIL_INDEX.CONFIRMED));
    assertThat(confirmed).isTrue();
    f.assertNoOrphans();
  }

  @Test
  void leftoverEntryOfAUserThatIsGoneDoesNotBlockTheEmailForever() {
    StoredUser gone = f.store().create("leftover@example.com", "gone", List.of(), f.bucketOn(2));
    // A delete whose index cleanup never ran: the row is gone, the confirmed entry stays.
    f.db().shardOfId(gone.id()).read(dsl -> dsl.deleteFrom(USERS).where(USERS.ID.eq(gone.id())).execute());

    StoredUser next = f.store().create("Leftover@example.com", "next", List.of(), f.bucketOn(1));
    assertThat(next.id()).isNotEqualTo(gone.id());
    f.assertNoOrphans();
  }

  @Test
  void emailChangesRaceLikeCreates() throws Exception {
    StoredUser a = f.store().create("change-a@example.com", "a", List.of(), f.bucketOn(0));
    StoredUser b = f.store().create("change-b@example.com", "b", List.of(), f.bucketOn(3));
    CountDownLatch start = new CountDownLatch(1);
    List<Future<StoredUser>> results = new ArrayList<>();
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (StoredUser u : List.of(a, b)) {
        results.add(executor.submit(() -> {
          start.await();
          return f.store().update(u.id(), UserChanges.none().withEmail("wanted@example.com"));
        }));
      }
      results.add(executor.submit(() -> {
        start.await();
        return f.store().create("WANTED@example.com", "c", List.of(), f.bucketOn(1));
      }));
      start.countDown();
    }
    int winners = 0;
    for (Future<StoredUser> r : results) {
      try {
        r.get();
        winners++;
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(AlreadyExistsException.class);
      }
    }
    assertThat(winners).isEqualTo(1);
    assertThat(f.allUsers()).filteredOn(u -> u.getEmail().equalsIgnoreCase("wanted@example.com")).hasSize(1);
    f.assertNoOrphans();
  }
}
