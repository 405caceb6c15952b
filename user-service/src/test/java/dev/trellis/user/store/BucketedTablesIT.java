package dev.trellis.user.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.testing.BucketedSchema;
import dev.trellis.testing.ServiceExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every table of user-service's schema is declared to the bucket mover by its fence trigger: moved with its bucket,
 * or an outbox left in place. A table added without a fence fails here, before a move could leave its rows behind.
 */
class BucketedTablesIT {
  @RegisterExtension
  static final ServiceExtension users = ServiceExtension.of("user-service");

  @Test
  void everyTableIsMovedWithItsBucketOrIsAnOutbox() {
    BucketedSchema schema = BucketedSchema.of(users.topology());

    assertThat(schema.undeclared()).as("tables without a bucket fence trigger (see V2__bucket_fences.sql)")
        .isEmpty();
    assertThat(schema.scannedWhole()).as("moved tables without an index on their bucket (see V4__bucket_indexes.sql)")
        .isEmpty();
    assertThat(schema.moved()).containsExactlyInAnyOrder("users", "email_index");
    assertThat(schema.outboxes()).containsExactly("user_events");
  }
}
