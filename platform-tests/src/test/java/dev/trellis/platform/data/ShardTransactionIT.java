package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.error.AlreadyExistsException;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ShardTransactionIT {
  @RegisterExtension
  static final ShardsExtension shards = ShardsExtension.shared().migrate(Items.MIGRATIONS);
  private Shard shard;

  @BeforeEach
  void clean() {
    shard = shards.database().shard(2);
    shard.read(dsl -> dsl.deleteFrom(Items.TABLE).execute());
  }

  @Test
  void transactionCommitsWhole() {
    shard.transaction(dsl -> {
      dsl.insertInto(Items.TABLE).set(Items.ID, 1L).set(Items.NAME, "a").execute();
      return dsl.insertInto(Items.TABLE).set(Items.ID, 2L).set(Items.NAME, "b").execute();
    });
    assertThat(Items.count(shard)).isEqualTo(2);
  }

  @Test
  void databaseFailureMidTransactionLeavesNothing() {
    assertThatThrownBy(() -> shard.transaction(dsl -> {
      dsl.insertInto(Items.TABLE).set(Items.ID, 1L).set(Items.NAME, "a").execute();
      dsl.update(Items.TABLE).set(Items.AMOUNT, 5).where(Items.ID.eq(1L)).execute();
      return dsl.insertInto(Items.TABLE).set(Items.ID, 1L).set(Items.NAME, "duplicate").execute();
    })).isInstanceOf(DataAccessException.class);
    assertThat(Items.count(shard)).isZero();
  }

  @Test
  void apiExceptionMidTransactionRollsBackAndPassesThroughUnchanged() {
    AlreadyExistsException thrown = new AlreadyExistsException("test.Item", "items/1", "taken");
    assertThatThrownBy(() -> shard.transaction(dsl -> {
      dsl.insertInto(Items.TABLE).set(Items.ID, 1L).set(Items.NAME, "a").execute();
      throw thrown;
    })).isSameAs(thrown);
    assertThat(Items.count(shard)).isZero();
  }

  @Test
  void otherShardsDoNotSeeTheRows() {
    Items.insert(shard, 1, "a");
    assertThat(Items.count(shards.database().shard(1))).isZero();
    assertThat(Items.count(shard)).isEqualTo(1);
  }
}
