package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;
import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.trellis.order.store.SagaJournal;
import dev.trellis.order.store.StoredSaga;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes over sagas left unfinished by a replica that died (or stopped): at start and every interval, on every
 * shard, it leases the unfinished sagas whose lease has run out (skipping rows another replica is claiming at the
 * same moment) and drives them to their end: forward from the step after the last one recorded, or on with their
 * compensation. Leases keep two replicas from ever driving one saga.
 */
public final class SagaRecovery implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SagaRecovery.class);
  private static final int BATCH = 100;

  private final SagaJournal journal;
  private final SagaRunner runner;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("saga-recovery").factory());

  private SagaRecovery(SagaJournal journal, SagaRunner runner) {
    this.journal = journal;
    this.runner = runner;
  }

  /** Runs a first round now, then one every {@code interval}. */
  static SagaRecovery start(SagaJournal journal, SagaRunner runner, Duration interval) {
    SagaRecovery recovery = new SagaRecovery(requireNonNull(journal, "journal"), requireNonNull(runner, "runner"));
    recovery.scheduler.scheduleWithFixedDelay(recovery::recoverOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return recovery;
  }

  /** One round over every shard serving now (one that joined since the start too); returns how many it took over. */
  int recoverOnce() {
    int taken = 0;
    for (int shard : journal.shards()) {
      try {
        List<Long> orderIds;
        do {
          orderIds = journal.claimExpired(shard, BATCH);
          for (long orderId : orderIds) {
            log.info("{} taken over by {}", kv("saga_id", StoredSaga.sagaId(orderId)),
                kv("owner", journal.owner()));
            runner.resume(orderId);
          }
          taken += orderIds.size();
        } while (orderIds.size() == BATCH);
      } catch (RuntimeException e) {
        log.warn("looking for sagas to take over on shard {} failed; next round in a while: {}", shard, e.toString());
      }
    }
    return taken;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
