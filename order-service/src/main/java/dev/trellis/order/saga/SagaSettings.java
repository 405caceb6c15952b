package dev.trellis.order.saga;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.ConfigException;
import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * How sagas run.
 *
 * @param stepTimeout how long one step (with its retries) or one attempt of a compensation may take
 * @param lease how long a replica keeps a saga after its last write; then another replica may take it over. Longer
 *     than a step and a compensation's backoff together, so a live replica never loses a saga it drives
 * @param recoveryInterval how often each replica looks for sagas whose replica died
 * @param compensationBackoffMax the longest pause between the attempts of a compensation that keeps failing
 * @param awaitTimeout how long a call waits for a saga it did not start (a duplicate CreateOrder, CancelOrder)
 */
public record SagaSettings(Duration stepTimeout, Duration lease, Duration recoveryInterval,
    Duration compensationBackoffMax, Duration awaitTimeout) {
  public static final String STEP_TIMEOUT = "TRELLIS_ORDER_STEP_TIMEOUT";
  public static final String LEASE = "TRELLIS_ORDER_SAGA_LEASE";
  public static final String RECOVERY_INTERVAL = "TRELLIS_ORDER_RECOVERY_INTERVAL";
  public static final String COMPENSATION_BACKOFF_MAX = "TRELLIS_ORDER_COMPENSATION_BACKOFF_MAX";
  public static final String AWAIT_TIMEOUT = "TRELLIS_ORDER_AWAIT_TIMEOUT";

  public SagaSettings {
    requireNonNull(stepTimeout, "stepTimeout");
    requireNonNull(lease, "lease");
    requireNonNull(recoveryInterval, "recoveryInterval");
    requireNonNull(compensationBackoffMax, "compensationBackoffMax");
    requireNonNull(awaitTimeout, "awaitTimeout");
  }

  /** Defaults: step 30s, lease 60s, recovery every 10s, compensation backoff up to 10s, await 10s. */
  public static SagaSettings fromSettings(Settings settings) {
    Duration step = positive(settings, STEP_TIMEOUT, Duration.ofSeconds(30));
    Duration backoff = positive(settings, COMPENSATION_BACKOFF_MAX, Duration.ofSeconds(10));
    Duration lease = positive(settings, LEASE, Duration.ofSeconds(60));
    if (lease.compareTo(step.plus(backoff)) <= 0) {
      throw new ConfigException(LEASE + " must be longer than " + STEP_TIMEOUT + " plus "
          + COMPENSATION_BACKOFF_MAX + " (" + step.plus(backoff).toMillis() + "ms), got " + lease.toMillis()
          + "ms: a replica must not lose a saga while it runs a step");
    }
    return new SagaSettings(step, lease, positive(settings, RECOVERY_INTERVAL, Duration.ofSeconds(10)), backoff,
        positive(settings, AWAIT_TIMEOUT, Duration.ofSeconds(10)));
  }

  private static Duration positive(Settings settings, String name, Duration defaultValue) {
    Duration value = settings.duration(name, defaultValue);
    if (value.isZero()) {
      throw new ConfigException(name + " must be more than 0");
    }
    return value;
  }
}
