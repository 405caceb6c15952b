package dev.trellis.platform.data;

import java.time.Duration;

/**
 * The numbers of one shard's connection pool at one moment, for telemetry gauges and counters.
 *
 * @param shard the shard (and pool) name
 * @param active connections lent out now
 * @param idle connections waiting in the pool
 * @param total open connections
 * @param max the pool's size limit
 * @param pending callers waiting for a connection now
 * @param connectionTimeouts callers who gave up waiting since start (each became UNAVAILABLE)
 * @param acquired connections lent out since start
 * @param acquireTime the time callers spent waiting for those connections, summed
 */
public record ShardPoolSnapshot(
    String shard, int active, int idle, int total, int max, int pending, long connectionTimeouts, long acquired,
    Duration acquireTime) {}
