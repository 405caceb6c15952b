package dev.trellis.platform.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.data.ShardedDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.Test;

/** The transaction-id watermark against real PostgreSQL: transactions that commit out of order lose nothing. */
class OutboxTableIT {
  private static final Table<Record> EVENTS = DSL.table(DSL.name("events"));
  private static final Field<Long> SEQ = DSL.field(DSL.name("seq"), SQLDataType.BIGINT);
  private static final Field<Long> TXID = DSL.field(DSL.name("txid"), SQLDataType.BIGINT);
  private static final Field<String> PAYLOAD = DSL.field(DSL.name("payload"), SQLDataType.VARCHAR);
  private static final Field<OffsetDateTime> CREATED_AT =
      DSL.field(DSL.name("created_at"), SQLDataType.TIMESTAMPWITHTIMEZONE);

  /** The events table of db/outboxdata on every shard. */
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate("classpath:db/outboxdata");
  private final ShardedDatabase db = shards.database();
  private final OutboxTable<Record, String> outbox = OutboxTable.of(db, EVENTS, SEQ, TXID, CREATED_AT,
      r -> r.get(PAYLOAD));

  @Test
  void aTransactionThatCommitsAfterALaterOneIsNotSkipped() throws Exception {
    long watermark = outbox.horizon(0);
    try (Connection slow = db.shard(0).dataSource().getConnection()) {
      slow.setAutoCommit(false);
      insert(slow, "slow");                                // takes the lower transaction id, stays open
      try (Connection fast = db.shard(0).dataSource().getConnection()) {
        insert(fast, "fast");                              // a higher id, committed first
      }

      OutboxReader.Batch<String> whileSlowRuns = outbox.readFrom(0, watermark);
      assertThat(whileSlowRuns.events()).as("nothing is final while an older transaction runs").isEmpty();

      slow.commit();
      OutboxReader.Batch<String> after = outbox.readFrom(0, whileSlowRuns.nextWatermark());
      assertThat(after.events()).extracting(OutboxReader.Stamped::event).containsExactly("slow", "fast");
      assertThat(outbox.readFrom(0, after.nextWatermark()).events()).as("each row once").isEmpty();
    }
  }

  @Test
  void aRolledBackTransactionLeavesNothingAndDoesNotBlock() throws Exception {
    long watermark = outbox.horizon(1);
    try (Connection aborted = db.shard(1).dataSource().getConnection()) {
      aborted.setAutoCommit(false);
      insert(aborted, "never");
      aborted.rollback();
    }
    try (Connection c = db.shard(1).dataSource().getConnection()) {
      insert(c, "kept");
    }

    assertThat(outbox.readFrom(1, watermark).events()).extracting(OutboxReader.Stamped::event)
        .containsExactly("kept");
  }

  @Test
  void batchesAreBoundedAndEndOnTransactionBoundaries() throws Exception {
    OutboxTable<Record, String> smallBatches = outbox.withMaxBatch(3);
    long watermark = smallBatches.horizon(3);
    try (Connection c = db.shard(3).dataSource().getConnection()) {
      for (int i = 1; i <= 7; i++) {
        insert(c, "single-" + i);
      }
      c.setAutoCommit(false); // one transaction with more rows than a batch holds: it comes whole
      for (int i = 1; i <= 4; i++) {
        insert(c, "multi-" + i);
      }
      c.commit();
      c.setAutoCommit(true);
      insert(c, "last");
    }

    List<List<String>> batches = new ArrayList<>();
    OutboxReader.Batch<String> batch;
    do {
      batch = smallBatches.readFrom(3, watermark);
      batches.add(batch.events().stream().map(OutboxReader.Stamped::event).toList());
      watermark = batch.nextWatermark();
    } while (batch.more());

    assertThat(batches).containsExactly(
        List.of("single-1", "single-2", "single-3"),
        List.of("single-4", "single-5", "single-6"),
        List.of("single-7"),
        List.of("multi-1", "multi-2", "multi-3", "multi-4"),
        List.of("last"));
    assertThat(smallBatches.readFrom(3, watermark).events()).as("each row once").isEmpty();
  }

  @Test
  void purgeDeletesOnlyRowsPastTheRetention() throws Exception {
    try (Connection c = db.shard(2).dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO events (payload, created_at) VALUES ('old', now() - interval '2 days'), ('new', now())");
    }

    assertThat(outbox.purgeOlderThan(Duration.ofDays(1), Instant.now())).isEqualTo(1);
    try (Connection c = db.shard(2).dataSource().getConnection(); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT payload FROM events")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("new");
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void purgeOfABucketedOutboxAlsoDeletesOldHandoffs() throws Exception {
    try (Connection c = db.shard(3).dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute("DELETE FROM trellis_bucket_handoff");
      s.execute("INSERT INTO trellis_bucket_handoff (bucket, from_shard, source_txid, created_at) VALUES "
          + "(7, 1, 1, now() - interval '2 days'), (8, 1, 1, now())");
    }

    outbox.withBucketOf(SEQ).purgeOlderThan(Duration.ofDays(1), Instant.now());

    try (Connection c = db.shard(3).dataSource().getConnection(); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT bucket FROM trellis_bucket_handoff")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).as("only the handoff past the retention goes").isEqualTo(8);
      assertThat(rs.next()).isFalse();
    }
  }

  private static void insert(Connection c, String payload) throws Exception {
    try (var s = c.prepareStatement("INSERT INTO events (payload) VALUES (?)")) {
      s.setString(1, payload);
      s.executeUpdate();
    }
  }
}
