package dev.trellis.conformance;

/**
 * A look inside user-service's shard pools, for deployments that expose one (the conformance test reads the
 * services' pool gauges through the OpenTelemetry metrics they export). Over the network alone there is none: the
 * cancel cases then check that the server went on serving after more cancelled calls than a pool has connections.
 */
@FunctionalInterface
public interface PoolProbe {
  /**
   * Returns once no connection of any user-service shard is in use, with a note of what it read; throws when that
   * does not happen in time.
   */
  String awaitNoneInUse() throws Exception;
}
