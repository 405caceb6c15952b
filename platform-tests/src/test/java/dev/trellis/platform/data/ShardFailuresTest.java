package dev.trellis.platform.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.platform.error.UnavailableException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class ShardFailuresTest {
  @Test
  void anUnreachableShardIsUnavailableNamedByKindOnly() {
    RuntimeException user = new ShardFailures("user").translate("shard-0",
        new SQLTransientConnectionException("jdbc:postgresql://db-0:5432/users timed out"));
    RuntimeException order = new ShardFailures("order").translate("shard-1",
        new SQLTransientConnectionException("timed out"));

    assertThat(user).isInstanceOf(UnavailableException.class).hasMessage("a user shard is unavailable; retry later");
    assertThat(order).hasMessage("an order shard is unavailable; retry later");
  }
}
