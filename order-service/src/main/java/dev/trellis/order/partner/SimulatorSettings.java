package dev.trellis.order.partner;

import static java.util.Objects.requireNonNull;

import dev.trellis.platform.config.Settings;
import java.time.Duration;

/**
 * The simulated latency of each partner simulator: every call takes this long, so that tests and benchmarks can
 * hold a saga at a chosen step, and the local mesh can feel like real partners.
 */
public record SimulatorSettings(Duration paymentLatency, Duration shipmentLatency, Duration notifierLatency) {
  public static final String PAYMENT_LATENCY = "TRELLIS_ORDER_SIM_PAYMENT_LATENCY";
  public static final String SHIPMENT_LATENCY = "TRELLIS_ORDER_SIM_SHIPMENT_LATENCY";
  public static final String NOTIFIER_LATENCY = "TRELLIS_ORDER_SIM_NOTIFIER_LATENCY";

  public SimulatorSettings {
    requireNonNull(paymentLatency, "paymentLatency");
    requireNonNull(shipmentLatency, "shipmentLatency");
    requireNonNull(notifierLatency, "notifierLatency");
  }

  /** Defaults: no added latency. */
  public static SimulatorSettings fromSettings(Settings settings) {
    return new SimulatorSettings(settings.duration(PAYMENT_LATENCY, Duration.ZERO),
        settings.duration(SHIPMENT_LATENCY, Duration.ZERO), settings.duration(NOTIFIER_LATENCY, Duration.ZERO));
  }
}
