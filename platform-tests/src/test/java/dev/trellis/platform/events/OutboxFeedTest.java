package dev.trellis.platform.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboxFeedTest {
  private final InMemoryOutbox outbox = new InMemoryOutbox(2);
  private final OutboxFeed<String> feed = OutboxFeed.start(outbox, Duration.ofMillis(2), "test");

  @AfterEach
  void close() {
    feed.close();
  }

  @Test
  void deliversChangesCommittedAfterSubscribingFromEveryShard() {
    outbox.write(0, "before");
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.write(0, "a");
    outbox.write(1, "b");

    assertThat(drainUntil(sub, 2)).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void aTransactionThatCommitsLateIsNotSkipped() {
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    long slow = outbox.begin(0);   // lower txid, still running
    outbox.write(0, "fast");       // higher txid, committed first
    outbox.commit(0, slow, "slow");

    assertThat(drainUntil(sub, 2)).containsExactlyInAnyOrder("fast", "slow");
  }

  @Test
  void aRunningTransactionAtSubscribeTimeIsDeliveredWhenItCommits() {
    long running = outbox.begin(1);
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.commit(1, running, "late");

    assertThat(drainUntil(sub, 1)).containsExactly("late");
  }

  @Test
  void filtersPerSubscriber() {
    Subscription<String> onlyA = feed.subscribe(e -> e.startsWith("a"), 100, () -> { });
    Subscription<String> all = feed.subscribe(e -> true, 100, () -> { });
    outbox.write(0, "a1");
    outbox.write(1, "b1");
    outbox.write(0, "a2");

    assertThat(drainUntil(all, 3)).containsExactlyInAnyOrder("a1", "b1", "a2");
    assertThat(drainUntil(onlyA, 2)).containsExactly("a1", "a2");
  }

  @Test
  void aShardThatIsDownCatchesUpWhenItReturnsWhileOthersFlow() {
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.setDown(0, true);
    outbox.write(0, "while-down");
    outbox.write(1, "other-shard");

    assertThat(drainUntil(sub, 1)).containsExactly("other-shard");
    outbox.setDown(0, false);
    assertThat(drainUntil(sub, 1)).containsExactly("while-down");
  }

  @Test
  void aSubscriptionNeedsOnlyTheShardsItFollows() {
    outbox.setDown(0, true);
    Subscription<String> onShard1 = feed.subscribe(List.of(1), e -> !e.startsWith("other"), 100, () -> { });
    outbox.write(0, "other entity");
    outbox.write(1, "followed");

    assertThat(onShard1.unavailableShards()).isEmpty();
    assertThat(drainUntil(onShard1, 1)).containsExactly("followed");
    outbox.setDown(0, false);
    outbox.write(1, "next");
    assertThat(drainUntil(onShard1, 1)).containsExactly("next");
  }

  @Test
  void aSubscriptionOpensWithAShardDownAndGetsItsEventsOnceWhenItReturns() {
    outbox.write(0, "long before");
    // The idle feed has looked at shard 0 since: it stands past "long before".
    int looks = outbox.horizonReads(0);
    await().atMost(Duration.ofSeconds(5)).until(() -> outbox.horizonReads(0) > looks + 1);
    Subscription<String> earlier = feed.subscribe(e -> true, 100, () -> { });
    outbox.setDown(0, true);

    Subscription<String> during = feed.subscribe(e -> true, 100, () -> { });
    // Committed by other replicas while this one cannot reach shard 0.
    outbox.write(0, "while unreachable");
    outbox.write(1, "elsewhere");

    assertThat(during.unavailableShards()).containsExactly(0);
    assertThat(earlier.unavailableShards()).isEmpty();
    assertThat(drainUntil(during, 1)).containsExactly("elsewhere");
    outbox.setDown(0, false);
    outbox.write(0, "after");
    outbox.write(1, "last");
    List<String> rest = drainUntil(during, 3);
    assertThat(rest).containsExactlyInAnyOrder("while unreachable", "after", "last");
    assertThat(rest.indexOf("while unreachable")).isLessThan(rest.indexOf("after"));
    assertThat(drainUntil(earlier, 4)).containsExactlyInAnyOrder("elsewhere", "while unreachable", "after", "last");
    // Nothing twice, nothing from before.
    outbox.write(1, "probe");
    assertThat(drainUntil(during, 1)).containsExactly("probe");
  }

  @Test
  void anEntityMovedToAnotherShardHasItsEventsThereDeliveredAfterThoseOnTheShardItLeft() {
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.write(1, 8, "other before");
    outbox.holdReads(0); // the feed lags on the source shard
    outbox.write(0, 7, "moved 1");
    outbox.handOff(7, 0, 1);
    outbox.write(1, 7, "moved 2");
    outbox.write(1, 8, "other after");

    // The target shard is read again and again, but its event of the moved bucket waits for the source's.
    assertThat(drainUntil(sub, 1)).containsExactly("other before");
    int reads = outbox.reads(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> outbox.reads(1) > reads + 3);
    assertThat(sub.poll()).isNull();

    outbox.releaseReads(0);
    assertThat(drainUntil(sub, 3)).containsExactly("moved 1", "moved 2", "other after");
  }

  @Test
  void aSourceShardThatCannotBeReadReleasesTheHoldAvailabilityOverOrder() {
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.setDown(0, true); // reads of the source fail (not merely slow: that keeps the hold, test above)
    outbox.write(0, 7, "moved 1");
    outbox.handOff(7, 0, 1);
    outbox.write(1, 7, "moved 2");

    // The target's events of the bucket flow while the source is down; the source's come when it is back.
    assertThat(drainUntil(sub, 1)).containsExactly("moved 2");
    outbox.setDown(0, false);
    assertThat(drainUntil(sub, 1)).containsExactly("moved 1");
  }

  @Test
  void aSubscriptionToOneShardFollowsItsEntityToTheShardItMovesTo() {
    Subscription<String> sub = feed.subscribe(List.of(0), e -> e.startsWith("moved"), 100, () -> { });
    outbox.write(0, 7, "moved 1");
    outbox.handOff(7, 0, 1);
    outbox.write(1, 7, "moved 2");
    outbox.write(1, 9, "not followed");

    assertThat(drainUntil(sub, 2)).containsExactly("moved 1", "moved 2");
  }

  @Test
  void aShardThatJoinsWhileTheFeedRunsIsFollowedByTheOpenSubscriptionsFromItsFirstHandoff() {
    Subscription<String> all = feed.subscribe(e -> true, 100, () -> { });
    Subscription<String> one = feed.subscribe(List.of(0), e -> e.startsWith("moved"), 100, () -> { });
    int joining = outbox.addShard();
    outbox.write(joining, 3, "older than its first handoff"); // a life before: never delivered
    outbox.write(0, 7, "moved 1");
    // Buckets 7 and 8 move to the new shard, and users there change, before this replica sees the shard join.
    outbox.handOff(7, 0, joining);
    outbox.handOff(8, 1, joining);
    outbox.write(joining, 7, "moved 2");
    outbox.write(joining, 8, "created there");
    outbox.serve(joining);

    assertThat(drainUntil(all, 3)).containsExactly("moved 1", "moved 2", "created there");
    assertThat(drainUntil(one, 2)).containsExactly("moved 1", "moved 2");
    assertThat(feed.shards()).containsExactly(0, 1, joining);
    outbox.write(joining, 7, "moved 3");
    assertThat(drainUntil(all, 1)).containsExactly("moved 3");
    // One that subscribes now starts at its own horizon of the new shard.
    Subscription<String> later = feed.subscribe(e -> true, 100, () -> { });
    outbox.write(joining, 8, "after");
    assertThat(drainUntil(later, 1)).containsExactly("after");
  }

  @Test
  void aShardThatLeavesIsReadToItsEndThenItsLaneCloses() {
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.holdReads(1);
    outbox.write(1, "last there");
    outbox.drain(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> !feed.shards().contains(1));
    assertThat(feed.reads(1)).as("a lane that has not read the shard's last events stays").isTrue();

    outbox.releaseReads(1);
    assertThat(drainUntil(sub, 1)).containsExactly("last there");
    await().atMost(Duration.ofSeconds(5)).until(() -> !feed.reads(1));
    int reads = outbox.reads(1);
    outbox.write(0, "probe");
    assertThat(drainUntil(sub, 1)).containsExactly("probe");
    assertThat(outbox.reads(1)).isEqualTo(reads);
  }

  @Test
  void aShardThatComesBackAfterItWasDrainedIsReadFromItsNewHandoffsOnly() {
    outbox.write(1, 5, "old life");
    Subscription<String> sub = feed.subscribe(e -> true, 100, () -> { });
    outbox.drain(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> !feed.reads(1));
    outbox.write(1, 5, "written while drained"); // cannot happen (fenced): it shows where reading starts
    outbox.forgetHandoffs(1);
    outbox.handOff(6, 0, 1);
    outbox.write(1, 6, "new life");
    outbox.serve(1);

    assertThat(drainUntil(sub, 1)).containsExactly("new life");
    outbox.write(0, "probe");
    assertThat(drainUntil(sub, 1)).containsExactly("probe");
  }

  @Test
  void aSubscriberThatFallsBehindIsCutOffNotBuffered() {
    Subscription<String> sub = feed.subscribe(e -> true, 3, () -> { });
    for (int i = 0; i < 5; i++) {
      outbox.write(0, "e" + i);
    }

    await().atMost(Duration.ofSeconds(5)).until(sub::overflowed);
    assertThat(sub.poll()).isNull();
  }

  @Test
  void aCutBatchIsFollowedAtOnceNotOneIntervalLater() {
    InMemoryOutbox bursty = new InMemoryOutbox(1);
    bursty.setMaxBatch(2);
    bursty.holdReads();
    try (OutboxFeed<String> hourly = OutboxFeed.start(bursty, Duration.ofHours(1), "test")) {
      Subscription<String> sub = hourly.subscribe(e -> true, 100, () -> { });
      for (int i = 1; i <= 5; i++) {
        bursty.write(0, "e" + i);
      }
      bursty.releaseReads();

      // Five events in batches of two: the second and third batch come at once, not an hour later.
      assertThat(drainUntil(sub, 5)).containsExactly("e1", "e2", "e3", "e4", "e5");
    }
  }

  @Test
  void closingASubscriptionRemovesIt() {
    Subscription<String> sub = feed.subscribe(e -> true, 3, () -> { });
    assertThat(feed.subscriberCount()).isEqualTo(1);
    sub.close();
    assertThat(feed.subscriberCount()).isZero();
  }

  private static List<String> drainUntil(Subscription<String> sub, int count) {
    List<String> got = new ArrayList<>();
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      for (String e = sub.poll(); e != null; e = sub.poll()) {
        got.add(e);
      }
      return got.size() >= count;
    });
    return got;
  }
}
