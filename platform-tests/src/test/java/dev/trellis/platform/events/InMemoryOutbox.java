package dev.trellis.platform.events;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;

/**
 * An outbox with PostgreSQL's visibility rules in miniature, to test the feed's logic apart from SQL: a transaction
 * takes its id when it begins, its event becomes visible when it commits, and the horizon is the oldest id still
 * running (or the next id). The real outbox is tested against PostgreSQL in the services.
 */
final class InMemoryOutbox implements OutboxReader<String> {
  private final List<List<Stamped<String>>> committed = new ArrayList<>();
  private final List<TreeSet<Long>> running = new ArrayList<>();
  private final List<Boolean> down = new ArrayList<>();
  private final List<Integer> horizonReads = new ArrayList<>();
  private final TreeSet<Integer> serving = new TreeSet<>();
  private long nextTxid = 100;
  private int maxBatch = Integer.MAX_VALUE;
  private volatile CountDownLatch readGate = new CountDownLatch(0);
  private final List<CountDownLatch> shardGates = new ArrayList<>();
  private final List<List<Handoff>> handoffs = new ArrayList<>();
  private final List<Integer> reads = new ArrayList<>();

  InMemoryOutbox(int shards) {
    for (int i = 0; i < shards; i++) {
      serve(addShard());
    }
  }

  /** A new database for a shard, not in the shard set yet ({@link #serve}); returns its index. */
  synchronized int addShard() {
    committed.add(new ArrayList<>());
    running.add(new TreeSet<>());
    shardGates.add(new CountDownLatch(0));
    handoffs.add(new ArrayList<>());
    reads.add(0);
    down.add(false);
    horizonReads.add(0);
    return committed.size() - 1;
  }

  /** The shard joins the shard set (again): what a replica's directory poll finds. */
  synchronized void serve(int shard) {
    serving.add(shard);
  }

  /** The shard leaves the shard set (drained); it stays readable, as a pool that closes a little later. */
  synchronized void drain(int shard) {
    serving.remove(shard);
  }

  /** What the reshard program does when a drained shard comes back: forget its old handoffs. */
  synchronized void forgetHandoffs(int shard) {
    handoffs.get(shard).clear();
  }

  synchronized long begin(int shard) {
    long txid = nextTxid++;
    running.get(shard).add(txid);
    return txid;
  }

  synchronized void commit(int shard, long txid, String event) {
    running.get(shard).remove(txid);
    committed.get(shard).add(new Stamped<>(txid, event));
  }

  void write(int shard, String event) {
    commit(shard, begin(shard), event);
  }

  /** An event of an entity in {@code bucket}. */
  synchronized void write(int shard, int bucket, String event) {
    committed.get(shard).add(new Stamped<>(nextTxid++, event, bucket));
  }

  /**
   * What a bucket mover's cut-over does: on the source, the next transaction id (every event of the bucket there is
   * below it); on the target, the handoff row, in a transaction of its own. Returns the source position.
   */
  synchronized long handOff(int bucket, int from, int to) {
    long sourceTxid = nextTxid;
    handoffs.get(to).add(new Handoff(bucket, from, sourceTxid, nextTxid++));
    return sourceTxid;
  }

  /** Reads of {@code shard} wait until {@link #releaseReads(int)}: a feed that lags on one shard. */
  synchronized void holdReads(int shard) {
    shardGates.set(shard, new CountDownLatch(1));
  }

  synchronized void releaseReads(int shard) {
    shardGates.get(shard).countDown();
  }

  /** How many batches of {@code shard} were read. */
  synchronized int reads(int shard) {
    return reads.get(shard);
  }

  synchronized void setDown(int shard, boolean isDown) {
    down.set(shard, isDown);
  }

  @Override
  public synchronized long horizon(int shard) {
    check(shard);
    horizonReads.set(shard, horizonReads.get(shard) + 1);
    return running.get(shard).isEmpty() ? nextTxid : running.get(shard).first();
  }

  /** How many horizons of {@code shard} were read, by anyone: a test awaits the feed's next look at a shard. */
  synchronized int horizonReads(int shard) {
    return horizonReads.get(shard);
  }

  /** Cuts batches after {@code maxBatch} events (one event per transaction here), as the real outbox does. */
  synchronized void setMaxBatch(int maxBatch) {
    this.maxBatch = maxBatch;
  }

  /** Reads wait until {@link #releaseReads()}: a test arranges rows while the feed's reader stands at the door. */
  void holdReads() {
    readGate = new CountDownLatch(1);
  }

  void releaseReads() {
    readGate.countDown();
  }

  @Override
  public Batch<String> readFrom(int shard, long watermark) {
    try {
      readGate.await();
      CountDownLatch shardGate;
      synchronized (this) {
        shardGate = shardGates.get(shard);
      }
      shardGate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return readNow(shard, watermark);
  }

  private synchronized Batch<String> readNow(int shard, long watermark) {
    long horizon = horizon(shard);
    reads.set(shard, reads.get(shard) + 1);
    List<Handoff> moves = List.copyOf(handoffs.get(shard));
    List<Stamped<String>> events = committed.get(shard).stream()
        .filter(e -> e.txid() >= watermark && e.txid() < horizon)
        .sorted(Comparator.comparingLong(Stamped::txid))
        .toList();
    if (events.size() > maxBatch) {
      return new Batch<>(events.subList(0, maxBatch), events.get(maxBatch).txid(), true, moves);
    }
    return new Batch<>(events, horizon, false, events.isEmpty() ? List.of() : moves);
  }

  @Override
  public synchronized SortedSet<Integer> shards() {
    return new TreeSet<>(serving);
  }

  @Override
  public synchronized long joinedFrom(int shard) {
    long horizon = horizon(shard);
    return Math.min(horizon, handoffs.get(shard).stream().mapToLong(Handoff::txid).min().orElse(horizon));
  }

  private void check(int shard) {
    if (down.get(shard)) {
      throw new IllegalStateException("shard " + shard + " is down");
    }
  }
}
