package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.data.filter.FilterFields;
import dev.trellis.platform.data.filter.FilterParser;
import dev.trellis.platform.data.filter.Operator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;
import org.jooq.Condition;
import org.jooq.Record1;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScatterGatherIT {
  private static final int ROWS = 1000;
  private static ShardedDatabase db;
  private static final FilterFields FIELDS = FilterFields.builder()
      .text("name", Operator.HAS, Items.NAME::contains)
      .text("name", Operator.EQUALS, Items.NAME::eq)
      .build();

  @BeforeAll
  static void fill() {
    db = TestShards.migratedDatabase("scatter", "test", Items.MIGRATIONS);
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
  }

  private static int shardFor(long id) {
    return (int) ((id * 7 + id / 3) % 4);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  private MergedCursor<Long> stream(Condition where, int limit) {
    return db.scatterGather().stream(db.shards(),
        dsl -> dsl.select(Items.ID).from(Items.TABLE).where(where).orderBy(Items.ID),
        r -> r.get(Items.ID), Comparator.naturalOrder(), limit);
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
    assertThat(drain(stream(Items.ID.le((long) ROWS), 0)))
        .containsExactlyElementsOf(LongStream.rangeClosed(1, ROWS).boxed().toList());
  }

  @Test
  void limitStopsAfterNAndSaysWhetherMoreRemain() {
    MergedCursor<Long> page = stream(Items.ID.le((long) ROWS), 10);
    assertThat(drain(page)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(page.moreAfterLimit()).isTrue();
  }

  @Test
  void pagesCoverEveryRowOnceAndTheLastPageSaysNoMoreEvenOnAnExactBoundary() {
    List<Long> all = new ArrayList<>();
    long after = 0;
    int pages = 0;
    while (true) {
      MergedCursor<Long> page = stream(Items.ID.le((long) ROWS).and(Items.ID.gt(after)), 100);
      List<Long> ids = drain(page);
      pages++;
      all.addAll(ids);
      if (!page.moreAfterLimit()) {
        break;
      }
      after = ids.getLast();
    }
    assertThat(pages).isEqualTo(10); // 1000 rows, pages of 100: no empty 11th page
    assertThat(all).containsExactlyElementsOf(LongStream.rangeClosed(1, ROWS).boxed().toList());
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
    try (MergedCursor<Long> cursor = stream(Items.ID.le((long) ROWS), 0);
        ExecutorService first = Executors.newSingleThreadExecutor();
        ExecutorService second = Executors.newSingleThreadExecutor()) {
      // Like a gRPC stream pulling on onReady callbacks: batches on whichever thread, one at a time.
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
    assertThat(out).containsExactlyElementsOf(LongStream.rangeClosed(1, ROWS).boxed().toList());
  }

  @Test
  void emptyResultIsAnEmptyStream() {
    MergedCursor<Long> none = stream(Items.ID.lt(0L), 10);
    assertThat(none.hasNext()).isFalse();
    assertThat(none.moreAfterLimit()).isFalse();
  }

  @Test
  void streamReadsThroughAServerSideCursorAndClosingEarlyReleasesEveryConnection() {
    Queue<Long> portalsSeen = new ConcurrentLinkedQueue<>();
    MergedCursor<Long> cursor = db.scatterGather().<Record1<Long>, Long>stream(db.shards(),
        dsl -> dsl.select(Items.ID).from(Items.TABLE).orderBy(Items.ID),
        r -> {
          // On the cursor's own connection: the query is an open portal, fetched in batches, not a loaded result.
          portalsSeen.add(((Number) r.configuration().dsl().fetchValue("select count(*) from pg_cursors")).longValue());
          return r.get(Items.ID);
        },
        Comparator.naturalOrder(), 0);
    assertThat(cursor.next()).isEqualTo(1L);
    // Mapped so far: the head row of each of the 4 shards, then the next row of the shard that gave 1.
    assertThat(portalsSeen).hasSize(5).allSatisfy(n -> assertThat(n).isPositive());
    assertThat(db.poolSnapshots()).allSatisfy(p -> assertThat(p.active()).isEqualTo(1));
    cursor.close();
    assertThat(cursor.hasNext()).isFalse();
    assertThat(db.poolSnapshots()).allSatisfy(p -> assertThat(p.active()).isZero());
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
