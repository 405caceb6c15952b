package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.extension.RegisterExtension;
import dev.trellis.testing.ShardsExtension;
import dev.trellis.platform.error.AlreadyExistsException;
import dev.trellis.platform.error.InvalidArgumentException;
import org.jooq.impl.DSL;
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

  @Test
  void aValueTheDatabaseRefusesIsInvalidArgumentWithoutSqlAndWritesNothing() {
    assertThatThrownBy(() -> shard.transaction(dsl -> {
      dsl.insertInto(Items.TABLE).set(Items.ID, 1L).set(Items.NAME, "a").execute();
      return dsl.insertInto(Items.TABLE).set(Items.ID, 2L).set(Items.NAME, "nul \u0000 inside").execute();
    })).isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
      assertThat(e.violations()).singleElement().satisfies(v -> {
        assertThat(v.field()).isEqualTo("request");
        assertThat(v.description()).contains("NUL").doesNotContain("insert", "0x00", "22021");
      });
    });
    assertThat(Items.count(shard)).isZero();
    assertThatThrownBy(() -> shard.read(dsl -> dsl.select(DSL.val(1).div(DSL.val(0))).fetch()))
        .as("division by zero is class 22 too").isInstanceOf(InvalidArgumentException.class);
  }
}
