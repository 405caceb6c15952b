package dev.trellis.user.store;

import static dev.trellis.user.store.jooq.Tables.EMAIL_INDEX;
import static dev.trellis.user.store.jooq.Tables.USERS;
import static dev.trellis.user.store.jooq.Tables.USER_EVENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.data.route.ShardId;
import dev.trellis.platform.error.AlreadyExistsException;
import dev.trellis.platform.error.InvalidArgumentException;
import dev.trellis.platform.error.NotFoundException;
import dev.trellis.user.rules.UserChanges;
import dev.trellis.user.store.jooq.tables.records.UserEventsRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UserStoreIT {
  @RegisterExtension
  static final ShardsExtension shards = UserStoreFixture.shards();
  private static final UserStoreFixture f = new UserStoreFixture(shards::database);

  private static List<UserEventsRecord> eventsOf(long id) {
    return f.db().shardOfId(id).read(dsl -> dsl.selectFrom(USER_EVENTS).where(USER_EVENTS.USER_ID.eq(id))
        .orderBy(USER_EVENTS.SEQ).fetch());
  }

  @Test
  void createdUserReadsBackByteExactFromItsShard() {
    StoredUser created = f.store().create("Zoë@Example.com", "Zoë 山田 🌱", List.of("user", "admin"));
    assertThat(created.id()).isPositive();
    int onItsShard = f.db().shardOfId(created.id()).read(dsl -> dsl.fetchCount(USERS, USERS.ID.eq(created.id())));
    assertThat(onItsShard).isEqualTo(1);
    StoredUser read = f.store().get(created.id());
    assertThat(read).isEqualTo(created);
    assertThat(read.name()).isEqualTo("Zoë 山田 🌱");
    assertThat(read.createdAt()).isEqualTo(f.clock.instant());
    assertThat(read.roles()).containsExactly("user", "admin");
  }

  @Test
  void anInsertThatFailsAfterTheReservationReleasesTheEmail() {
    int bucket = f.bucketOn(2);
    var userShard = f.db().shardOfBucket(bucket);
    // A trigger on the user shard refuses one name: the insert fails after the email was reserved elsewhere.
    userShard.read(dsl -> dsl.execute("""
        CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
        CREATE TRIGGER refuse_insert BEFORE INSERT ON users FOR EACH ROW
          WHEN (NEW.name = 'refused') EXECUTE FUNCTION refuse_insert()"""));
    try {
      assertThatThrownBy(() -> f.store().create("released@example.com", "refused", List.of(), bucket))
          .isInstanceOf(RuntimeException.class);

      assertThat(f.allEntries()).noneMatch(e -> e.getEmail().equals(EmailIndex.keyOf("released@example.com")));
      StoredUser retried = f.store().create("released@example.com", "accepted", List.of(), bucket);
      assertThat(retried.name()).as("no grace period to wait out").isEqualTo("accepted");
    } finally {
      userShard.read(dsl -> dsl.execute("DROP TRIGGER refuse_insert ON users; DROP FUNCTION refuse_insert()"));
    }
  }

  @Test
  void emailIsUniqueIgnoringCase() {
    f.store().create("dup@example.com", "first", List.of());
    assertThatThrownBy(() -> f.store().create("DUP@example.COM", "second", List.of()))
        .isInstanceOfSatisfying(AlreadyExistsException.class,
            e -> assertThat(e.resourceType()).isEqualTo("trellis.user.v1.User"));
    f.assertNoOrphans();
  }

  @Test
  void emailUniquenessFoldsNonAsciiLettersToo() {
    f.store().create("ÅSA.ÖBERG@example.com", "Åsa", List.of());
    assertThatThrownBy(() -> f.store().create("åsa.öberg@example.com", "åsa", List.of()))
        .isInstanceOf(AlreadyExistsException.class);
    f.assertNoOrphans();
  }

  @Test
  void idsNeverIssuedAreNotFoundWhateverTheirBucketBits() {
    long neverIssued = ShardId.of(Instant.now(), 513, 4000);
    for (long id : new long[] {1, neverIssued, Long.MAX_VALUE, ShardId.of(ShardId.EPOCH, 1023, 0)}) {
      assertThatThrownBy(() -> f.store().get(id)).isInstanceOfSatisfying(NotFoundException.class,
          e -> assertThat(e.resourceName()).isEqualTo("users/" + id));
      assertThatThrownBy(() -> f.store().delete(id)).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> f.store().update(id, UserChanges.none().withName("x")))
          .isInstanceOf(NotFoundException.class);
    }
  }

  @Test
  void everyChangeWritesItsEventWithTheSnapshot() {
    StoredUser u = f.store().create("events@example.com", "before", List.of("user"));
    f.clock.advance(Duration.ofSeconds(5));
    StoredUser renamed = f.store().update(u.id(), UserChanges.none().withName("after").withRoles(List.of("admin")));
    assertThat(renamed.updatedAt()).isAfter(u.updatedAt());
    assertThat(renamed.createdAt()).isEqualTo(u.createdAt());
    f.store().delete(u.id());

    List<UserEventsRecord> events = eventsOf(u.id());
    assertThat(events).extracting(UserEventsRecord::getEventType).containsExactly("CREATED", "UPDATED", "DELETED");
    assertThat(events.get(1).getName()).isEqualTo("after");
    assertThat(events.get(1).getRoles()).containsExactly("admin");
    assertThat(events.get(2).getEmail()).isEqualTo("events@example.com");
    assertThat(events).allSatisfy(e -> assertThat(e.getTxid()).isNotNull());
    assertThat(events.get(0).getSeq()).isLessThan(events.get(1).getSeq());
  }

  @Test
  void changingEmailMovesTheReservationAndFreesTheOldEmail() {
    StoredUser u = f.store().create("old@example.com", "mover", List.of());
    StoredUser moved = f.store().update(u.id(), UserChanges.none().withEmail("new@example.com"));
    assertThat(moved.email()).isEqualTo("new@example.com");
    assertThat(f.store().get(u.id()).email()).isEqualTo("new@example.com");
    StoredUser other = f.store().create("old@example.com", "takes the old one", List.of());
    assertThat(other.id()).isNotEqualTo(u.id());
    assertThatThrownBy(() -> f.store().create("NEW@example.com", "x", List.of()))
        .isInstanceOf(AlreadyExistsException.class);
    f.assertNoOrphans();
  }

  @Test
  void changingEmailToATakenOneChangesNothing() {
    StoredUser a = f.store().create("taken-a@example.com", "a", List.of());
    f.store().create("taken-b@example.com", "b", List.of());
    assertThatThrownBy(() -> f.store().update(a.id(), UserChanges.none().withEmail("taken-b@example.com").withName("z")))
        .isInstanceOf(AlreadyExistsException.class);
    assertThat(f.store().get(a.id())).isEqualTo(a);
    f.assertNoOrphans();
  }

  @Test
  void changingOnlyTheCaseOfTheEmailKeepsTheEntry() {
    StoredUser a = f.store().create("case@example.com", "a", List.of());
    assertThat(f.store().update(a.id(), UserChanges.none().withEmail("CASE@example.com")).email())
        .isEqualTo("CASE@example.com");
    f.assertNoOrphans();
  }

  @Test
  void anUpdateWritesOnlyItsFieldsSoAConcurrentUpdateOfAnotherFieldHolds() {
    StoredUser u = f.store().create("concurrent@example.com", "before", List.of("admin", "user"));
    StoredUser seenByRename = f.store().get(u.id()); // a rename reads the user ...
    f.store().update(u.id(), UserChanges.none().withRoles(List.of("user"))); // ... an admin demotes it meanwhile ...
    f.store().writeUpdate(seenByRename, UserChanges.none().withName("after")); // ... then the rename writes

    StoredUser now = f.store().get(u.id());
    assertThat(now.name()).isEqualTo("after");
    assertThat(now.roles()).as("the demotion is not undone").containsExactly("user");
  }

  @Test
  void deletedUserIsNotFoundAndItsEmailIsFree() {
    StoredUser u = f.store().create("bye@example.com", "bye", List.of());
    assertThat(f.store().delete(u.id())).isEqualTo(u);
    assertThatThrownBy(() -> f.store().get(u.id())).isInstanceOf(NotFoundException.class);
    String key = EmailIndex.keyOf("bye@example.com");
    boolean entryLeft = f.store().emailIndex().shardOf(key)
        .read(dsl -> dsl.fetchExists(EMAIL_INDEX, EMAIL_INDEX.EMAIL.eq(key)));
    assertThat(entryLeft).as("the delete removed the index entry itself").isFalse();
    assertThat(f.store().create("bye@example.com", "again", List.of()).id()).isNotEqualTo(u.id());
    f.assertNoOrphans();
  }

  @Test
  void listStreamsEveryShardInAscendingIdWithFiltersAndPages() {
    UserStoreFixture g = new UserStoreFixture(() -> shards.freshDatabase("user_list"));
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      List<String> roles = i % 4 == 0 ? List.of("user", "admin") : List.of("user");
      ids.add(g.store().create("list" + i + "@example.com", (i % 2 == 0 ? "Even " : "Odd ") + i, roles).id());
      g.clock.advance(Duration.ofSeconds(10));
    }
    ids.sort(null);
    assertThat(ids.stream().map(g.db()::shardOfId).distinct()).hasSizeGreaterThan(1);

    assertThat(collect(g.store().list("", 0, ""))).containsExactlyElementsOf(ids);

    List<Long> paged = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      try (UserListing page = g.store().list("", 15, token)) {
        page.forEachRemaining(u -> paged.add(u.id()));
        token = page.nextPageToken().orElse("");
      }
      pages++;
    } while (!token.isEmpty());
    assertThat(pages).isEqualTo(3);
    assertThat(paged).containsExactlyElementsOf(ids);

    assertThat(collect(g.store().list("role = \"admin\"", 0, ""))).hasSize(10);
    assertThat(collect(g.store().list("name : \"Odd\" AND role = \"admin\"", 0, ""))).isEmpty();
    assertThat(collect(g.store().list("email = \"LIST7@example.com\"", 0, ""))).hasSize(1);
    long start = Instant.parse("2026-06-01T12:00:00Z").getEpochSecond();
    assertThat(collect(g.store().list("created_at >= " + (start + 100) + " AND created_at <= " + (start + 199), 0,
        ""))).hasSize(10);
    assertThat(collect(g.store().list("created_at >= 99999999999999", 0, ""))).isEmpty();
    assertThat(collect(g.store().list("name : \"x' OR 1=1 --\"", 0, ""))).isEmpty();
  }

  @Test
  void lastPageHasNoTokenAndBadTokensAreInvalidArgument() {
    f.store().create("page1@example.com", "pager", List.of());
    f.store().create("page2@example.com", "pager", List.of());
    f.store().create("page3@example.com", "pager", List.of());
    String filter = "name : \"pager\"";
    String token;
    try (UserListing first = f.store().list(filter, 2, "")) {
      assertThat(collect(first)).hasSize(2);
      token = first.nextPageToken().orElseThrow();
    }
    try (UserListing last = f.store().list(filter, 2, token)) {
      assertThat(collect(last)).hasSize(1);
      assertThat(last.nextPageToken()).isEmpty();
    }
    try (UserListing exact = f.store().list(filter, 3, "")) {
      assertThat(collect(exact)).hasSize(3);
      assertThat(exact.nextPageToken()).isEqualTo(Optional.empty());
    }
    String sameToken = token;
    assertInvalid(() -> f.store().list("name : \"other\"", 2, sameToken), "page_token");
    assertInvalid(() -> f.store().list(filter, 2, sameToken.substring(1)), "page_token");
    f.clock.advance(Duration.ofHours(2));
    assertInvalid(() -> f.store().list(filter, 2, sameToken), "page_token");
  }

  @Test
  void badFiltersAreInvalidArgumentOnFilter() {
    assertInvalid(() -> f.store().list("password = \"x\"", 0, ""), "filter");
    assertInvalid(() -> f.store().list("email : \"x\"", 0, ""), "filter");
    assertInvalid(() -> f.store().list("name = ", 0, ""), "filter");
    assertInvalid(() -> f.store().list("created_at >= \"yesterday\"", 0, ""), "filter");
  }

  private static void assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field) {
    assertThatThrownBy(call).isInstanceOfSatisfying(InvalidArgumentException.class,
        e -> assertThat(e.violations().getFirst().field()).isEqualTo(field));
  }

  private static List<Long> collect(UserListing listing) {
    List<Long> ids = new ArrayList<>();
    try (listing) {
      listing.forEachRemaining(u -> ids.add(u.id()));
    }
    return ids;
  }
}
