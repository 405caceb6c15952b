package dev.trellis.bench.engine;

import dev.trellis.platform.config.ConfigException;
import java.util.Locale;

/**
 * How calls are issued.
 *
 * <ul>
 *   <li>Closed loop: {@code inFlight} calls at a time; each completion starts the next. Measures capacity; latency
 *       under it is what a saturated client sees.
 *   <li>Open loop: calls start at {@code rate} per second whatever the server does, each timed from when it was due
 *       (coordinated-omission free). {@code inFlight} then caps the calls outstanding; when the cap is reached the
 *       sender waits, and the wait shows in the latencies.
 * </ul>
 *
 * @param rate calls per second of an open loop; 0 for a closed loop
 * @param inFlight calls in flight (closed), or at most in flight (open)
 * @param connections connections (HTTP/2 channels, h2load clients) the calls spread over
 */
public record LoadModel(double rate, int inFlight, int connections) {
  public LoadModel {
    if (rate < 0) {
      throw new ConfigException("--rate must not be negative, got " + rate);
    }
    if (inFlight < 1) {
      throw new ConfigException("--in-flight must be at least 1, got " + inFlight);
    }
    if (connections < 1 || connections > inFlight) {
      throw new ConfigException("--connections must be between 1 and --in-flight (" + inFlight + "), got "
          + connections);
    }
  }

  public static LoadModel closed(int inFlight, int connections) {
    return new LoadModel(0, inFlight, connections);
  }

  public static LoadModel open(double rate, int maxInFlight, int connections) {
    return new LoadModel(rate, maxInFlight, connections);
  }

  public boolean open() {
    return rate > 0;
  }

  /** Calls in flight per connection, rounded up (h2load's -m). */
  public int perConnection() {
    return (inFlight + connections - 1) / connections;
  }

  public String describe() {
    return open()
        ? String.format(Locale.ROOT, "open loop at %.0f calls/s (at most %d in flight) over %d connections", rate,
            inFlight, connections)
        : String.format(Locale.ROOT, "closed loop, %d in flight over %d connections", inFlight, connections);
  }
}
