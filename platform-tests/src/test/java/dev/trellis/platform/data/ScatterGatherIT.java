package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.data.filter.FilterFields;
import dev.trellis.platform.data.filter.FilterParser;
import dev.trellis.platform.data.filter.Operator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.jooq.Condition;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScatterGatherIT {
  private static final int ROWS = 1000;
  /** Ids held by several shards at once (see {@link #holdsTie}), apart from 1..ROWS. */
  private static final long TIE_FIRST = 3001;
  private static final long TIE_LAST = 3300;
  /** Rows per batch of {@link #tiny}: a shard's 250-odd rows take some 80 batches. */
  private static final int TINY_FETCH = 3;
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate(Items.MIGRATIONS);
  /** Pools of 4 connections, batches of 64 rows. */
  private static ShardedDatabase db;
  /** The same databases through other pools of 4, with batches of {@value #TINY_FETCH} rows. */
  private static ShardedDatabase tiny;
  private static final FilterFields FIELDS = FilterFields.builder()
      .text("name", Operator.HAS, Items.NAME::contains)
      .text("name", Operator.EQUALS, Items.NAME::eq)
      .build();

  @BeforeAll
  static void fill() {
    db = shards.database();
    tiny = shards.open(new ShardPoolSettings(4, Duration.ofSeconds(2), TINY_FETCH));
    // Ids 1..1000 scattered so that neighbours usually sit on different shards, unevenly (shard 3 gets fewer).
    for (Shard shard : db.shards()) {
      shard.transaction(dsl -> {
        for (long id = 1; id <= ROWS; id++) {
          if (shardFor(id) == shard.index()) {
            dsl.insertInto(Items.TABLE).set(Items.ID, id).set(Items.NAME, "item " + id).execute();
          }
        }
        return null;
      });
    }
    Items.insert(db.shard(1), 5001, "x' OR 1=1 --");
    Items.insert(db.shard(2), 5002, "50% off_sale");
    Items.insert(db.shard(3), 5003, "500 offXsale");
    // Ids that several shards hold at once, a different subset on each, for ties across shards.
    for (Shard shard : db.shards()) {
      shard.transaction(dsl -> {
        for (long id = TIE_FIRST; id <= TIE_LAST; id++) {
          if (holdsTie(shard.index(), id)) {
            dsl.insertInto(Items.TABLE).set(Items.ID, id).set(Items.NAME, "tie " + shard.index()).execute();
          }
        }
        return null;
      });
    }
  }

  private static boolean holdsTie(int shard, long id) {
    return id % (shard + 2) != 0;
  }

  private static int shardFor(long id) {
    return (int) ((id * 7 + id / 3) % 4);
  }

  private static MergedCursor<Long> stream(Condition where, int limit) {
    return stream(db, where, limit);
  }

  private static MergedCursor<Long> stream(ShardedDatabase on, Condition where, int limit) {
    return on.scatterGather().stream(on.shards(),
        (dsl, after) -> dsl.select(Items.ID).from(Items.TABLE).where(where, after(after)).orderBy(Items.ID),
        r -> r.get(Items.ID), Comparator.naturalOrder(), limit);
  }

  /** The continuation of a stream ordered by id. */
  private static Condition after(Optional<Long> last) {
    return last.map(Items.ID::gt).orElse(DSL.noCondition());
  }

  private static List<Long> allIds() {
    return LongStream.rangeClosed(1, ROWS).boxed().toList();
  }

  private static List<Long> drain(MergedCursor<Long> cursor) {
    List<Long> out = new ArrayList<>();
    try (cursor) {
      cursor.forEachRemaining(out::add);
    }
    return out;
  }

  @Test
  void rowsFromFourShardsComeOutInOneAscendingOrder() {
    for (Shard shard : db.shards()) {
      assertThat(Items.count(shard)).isGreaterThan(100);
    }
    assertThat(drain(stream(Items.ID.le((long) ROWS), 0))).containsExactlyElementsOf(allIds());
  }

  @Test
  void batchesOfThreeRowsMergeIntoTheSameOrderWithNoGapOrDuplicate() {
    assertThat(drain(stream(tiny, Items.ID.le((long) ROWS), 0))).containsExactlyElementsOf(allIds());
  }

  @Test
  void tiesAcrossShardsComeOutInShardOrderAcrossBatchBoundaries() {
    record Tagged(long id, int shard) {}
    List<Tagged> expected = new ArrayList<>();
    for (long id = TIE_FIRST; id <= TIE_LAST; id++) {
      for (int shard = 0; shard < db.shards().size(); shard++) {
        if (holdsTie(shard, id)) {
          expected.add(new Tagged(id, shard));
        }
      }
    }
    List<Tagged> streamed = new ArrayList<>();
    try (MergedCursor<Tagged> cursor = tiny.scatterGather().stream(tiny.shards(),
        (dsl, after) -> dsl.select(Items.ID, Items.NAME).from(Items.TABLE)
            .where(Items.ID.between(TIE_FIRST, TIE_LAST), after.map(last -> Items.ID.gt(last.id()))
                .orElse(DSL.noCondition()))
            .orderBy(Items.ID),
        r -> new Tagged(r.value1(), Integer.parseInt(r.value2().substring("tie ".length()))),
        Comparator.comparingLong(Tagged::id), 0)) {
      cursor.forEachRemaining(streamed::add);
    }
    assertThat(expected).hasSizeGreaterThan(600);
    assertThat(streamed).containsExactlyElementsOf(expected);
  }

  @Test
  void limitStopsAfterNAndSaysWhetherMoreRemain() {
    MergedCursor<Long> page = stream(Items.ID.le((long) ROWS), 10);
    assertThat(drain(page)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(page.moreAfterLimit()).isTrue();
  }

  @Test
  void withALimitOfNEachShardIsAskedForAtMostNPlusOneRows() {
    AtomicInteger mapped = new AtomicInteger();
    MergedCursor<Long> page = db.scatterGather().stream(db.shards(),
        (dsl, after) -> dsl.select(Items.ID).from(Items.TABLE).where(after(after)).orderBy(Items.ID),
        r -> {
          mapped.incrementAndGet();
          return r.get(Items.ID);
        },
        Comparator.naturalOrder(), 10);
    assertThat(drain(page)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(page.moreAfterLimit()).isTrue();
    // One batch of min(64, 10 + 1) rows per shard, not a whole fetch of 64.
    assertThat(mapped).hasValue(4 * 11);
  }

  @Test
  void pagesCoverEveryRowOnceAndTheLastPageSaysNoMoreEvenOnAnExactBoundary() {
    for (ShardedDatabase on : List.of(db, tiny)) {
      List<Long> all = new ArrayList<>();
      long after = 0;
      int pages = 0;
      while (true) {
        MergedCursor<Long> page = stream(on, Items.ID.le((long) ROWS).and(Items.ID.gt(after)), 100);
        List<Long> ids = drain(page);
        pages++;
        all.addAll(ids);
        if (!page.moreAfterLimit()) {
          break;
        }
        after = ids.getLast();
      }
      assertThat(pages).isEqualTo(10); // 1000 rows, pages of 100: no empty 11th page
      assertThat(all).containsExactlyElementsOf(allIds());
    }
  }

  @Test
  void limitLargerThanTheResultStreamsItAllWithoutMore() {
    MergedCursor<Long> page = stream(Items.ID.le(20L), 50);
    assertThat(drain(page)).hasSize(20);
    assertThat(page.moreAfterLimit()).isFalse();
  }

  @Test
  void cursorCanBeConsumedByTurnsFromDifferentThreads() throws Exception {
    List<Long> out = new ArrayList<>();
    try (MergedCursor<Long> cursor = stream(tiny, Items.ID.le((long) ROWS), 0);
        ExecutorService first = Executors.newSingleThreadExecutor();
        ExecutorService second = Executors.newSingleThreadExecutor()) {
      // Like a gRPC stream pulling on onReady callbacks: turns on whichever thread, one at a time, each turn
      // fetching the shards' next batches of 3 on its own thread.
      for (int batch = 0; out.size() < ROWS; batch++) {
        ExecutorService turn = batch % 2 == 0 ? first : second;
        turn.submit(() -> {
          for (int i = 0; i < 37 && cursor.hasNext(); i++) {
            out.add(cursor.next());
          }
        }).get();
      }
      assertThat(cursor.hasNext()).isFalse();
    }
    assertThat(out).containsExactlyElementsOf(allIds());
  }

  @Test
  void emptyResultIsAnEmptyStream() {
    MergedCursor<Long> none = stream(Items.ID.lt(0L), 10);
    assertThat(none.hasNext()).isFalse();
    assertThat(none.moreAfterLimit()).isFalse();
  }

  @Test
  void aStreamStalledMidwayHoldsNoConnectionAndThenReadsOnWithoutGapOrDuplicate() {
    List<Long> out = new ArrayList<>();
    MergedCursor<Long> cursor = stream(Items.ID.le((long) ROWS), 0);
    // 500 rows: past the first batch of 64 on every shard (shards 1 and 3 hold a sixth of the ids, 0 and 2 a third).
    for (int i = 0; i < 500; i++) {
      out.add(cursor.next());
    }
    // The consumer stops here, as a gRPC client that does not read: the stream keeps rows, not connections.
    assertThat(db.poolSnapshots()).allSatisfy(p -> assertThat(p.active()).isZero());
    cursor.forEachRemaining(out::add);
    assertThat(out).containsExactlyElementsOf(allIds());
    assertThat(cursor.hasNext()).isFalse();
  }

  @Test
  void closingEarlyEndsTheStream() {
    MergedCursor<Long> cursor = stream(tiny, Items.ID.le((long) ROWS), 0);
    assertThat(cursor.next()).isEqualTo(1L);
    cursor.close();
    assertThat(cursor.hasNext()).isFalse();
    assertThat(tiny.poolSnapshots()).allSatisfy(p -> assertThat(p.active()).isZero());
  }

  @Test
  void moreStalledStreamsThanPoolConnectionsDoNotHoldUpAPointRead() {
    List<MergedCursor<Long>> stalled = new ArrayList<>();
    List<List<Long>> read = new ArrayList<>();
    long timeoutsBefore = db.poolSnapshots().stream().mapToLong(ShardPoolSnapshot::connectionTimeouts).sum();
    try {
      // Three times as many open streams as each shard pool has connections, each stopped mid-stream.
      for (int s = 0; s < 3 * db.poolSnapshots().getFirst().max(); s++) {
        MergedCursor<Long> cursor = stream(Items.ID.le((long) ROWS), 0);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 100 + s; i++) {
          ids.add(cursor.next());
        }
        stalled.add(cursor);
        read.add(ids);
      }
      for (Shard shard : db.shards()) {
        boolean found = shard.read(dsl -> dsl.fetchExists(Items.TABLE, Items.ID.eq(7L)));
        assertThat(found).isEqualTo(shardFor(7) == shard.index());
      }
      assertThat(db.poolSnapshots()).allSatisfy(p -> {
        assertThat(p.active()).isZero();
        assertThat(p.pending()).isZero();
      });
      assertThat(db.poolSnapshots().stream().mapToLong(ShardPoolSnapshot::connectionTimeouts).sum())
          .isEqualTo(timeoutsBefore);
      for (int s = 0; s < stalled.size(); s++) {
        stalled.get(s).forEachRemaining(read.get(s)::add);
        assertThat(read.get(s)).containsExactlyElementsOf(allIds());
      }
    } finally {
      stalled.forEach(MergedCursor::close);
    }
  }

  @Test
  void aQueryThatIgnoresTheLastValueFailsTheStreamInsteadOfRepeatingRows() {
    MergedCursor<Long> cursor = tiny.scatterGather().stream(tiny.shards(),
        (dsl, after) -> dsl.select(Items.ID).from(Items.TABLE).where(Items.ID.le((long) ROWS)).orderBy(Items.ID),
        r -> r.get(Items.ID), Comparator.naturalOrder(), 0);
    assertThatThrownBy(() -> drain(cursor)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("strictly after");
    assertThat(cursor.hasNext()).isFalse();
  }

  @Test
  void injectionLookingFilterIsAnHonestEmptyResultAgainstPostgres() {
    Condition where = FIELDS.toCondition(FilterParser.parse("name : \"x' OR 1=1 --\" AND name = \"nothing\""));
    assertThat(drain(stream(where, 0))).isEmpty();
    Condition same = FIELDS.toCondition(FilterParser.parse("name : \"' OR '1'='1\""));
    assertThat(drain(stream(same, 0))).isEmpty();
  }

  @Test
  void injectionLookingFilterFindsOnlyTheRowThatReallyHasThatName() {
    Condition where = FIELDS.toCondition(FilterParser.parse("name : \"x' OR 1=1 --\""));
    assertThat(drain(stream(where, 0))).containsExactly(5001L);
  }

  @Test
  void likeWildcardsInAFilterValueMatchOnlyThemselves() {
    assertThat(drain(stream(FIELDS.toCondition(FilterParser.parse("name : \"0% off_\"")), 0)))
        .containsExactly(5002L);
    assertThat(drain(stream(FIELDS.toCondition(FilterParser.parse("name : \"_\"")), 0))).containsExactly(5002L);
  }

  @Test
  void poolNumbersAreExportedPerShard() {
    assertThat(db.poolSnapshots()).extracting(ShardPoolSnapshot::shard)
        .containsExactly("shard-0", "shard-1", "shard-2", "shard-3");
    assertThat(db.poolSnapshots()).allSatisfy(p -> {
      assertThat(p.max()).isEqualTo(4);
      assertThat(p.acquired()).isPositive();
    });
  }
}
