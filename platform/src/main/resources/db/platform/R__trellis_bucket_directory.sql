-- The bucket directory (dev.trellis.platform.data.DirectoryStore): which shard holds each of the 1024 buckets, at
-- each version. Every version is written the same on every shard of the service's database, first as incomplete
-- rows on each shard, then marked complete on each; a reader takes the highest complete version of any shard, so a
-- version that a crashed writer left half-written is never routed by. Seeded at the first migration (version 1:
-- the even ranges routing used before the directory was stored).
CREATE TABLE IF NOT EXISTS trellis_directory_version (
  version     bigint      PRIMARY KEY CHECK (version >= 1),
  shard_count integer     NOT NULL CHECK (shard_count >= 1),
  complete    boolean     NOT NULL DEFAULT false,
  written_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS trellis_bucket_directory (
  version      bigint  NOT NULL REFERENCES trellis_directory_version (version),
  first_bucket integer NOT NULL CHECK (first_bucket BETWEEN 0 AND 1023),
  last_bucket  integer NOT NULL CHECK (last_bucket BETWEEN first_bucket AND 1023),
  shard_index  integer NOT NULL CHECK (shard_index >= 0),
  PRIMARY KEY (version, first_bucket)
);

-- The buckets this shard owns, written with each directory version (DirectoryStore.publish: a shard gives up the
-- buckets it loses before any shard takes the ones it gains, so no bucket is ever owned twice). The bucket fence
-- (beforeMigrate__trellis_bucket_fence.sql) refuses, inside the writing transaction, a write to a bucket missing here.
CREATE TABLE IF NOT EXISTS trellis_bucket_owner (
  bucket            integer PRIMARY KEY CHECK (bucket BETWEEN 0 AND 1023),
  directory_version bigint  NOT NULL
);

-- The journal of a bucket move (dev.trellis.platform.data.BucketMover), on the shard the bucket leaves: a mover that
-- stopped at any point reads where it was and goes on from there. COPYING: the source still owns the bucket;
-- CUT_OVER: the source gave it up and the target holds every row, the directory may still name the source;
-- DONE: the directory names the target and the source rows are gone.
CREATE TABLE IF NOT EXISTS trellis_bucket_move (
  bucket         integer     PRIMARY KEY CHECK (bucket BETWEEN 0 AND 1023),
  from_shard     integer     NOT NULL,
  to_shard       integer     NOT NULL,
  state          text        NOT NULL CHECK (state IN ('COPYING', 'CUT_OVER', 'DONE')),
  rows_copied    bigint      NOT NULL DEFAULT 0,
  write_pause_us bigint,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Where the source's outbox feed must have read to before the target's events of the bucket may follow
-- (outbox_txid: the next transaction id when the cut-over held the bucket; every write of the bucket on the source
-- is below it). Written at the cut-over; see trellis_bucket_handoff.
ALTER TABLE trellis_bucket_move ADD COLUMN IF NOT EXISTS outbox_txid bigint;

-- The buckets this shard took over (dev.trellis.platform.data.BucketMover), written before the directory names it,
-- so before any of the bucket's events here: an outbox feed (dev.trellis.platform.events.OutboxFeed) holds this
-- shard's events of the bucket written after the handoff (txid above this row's) until its reading of from_shard
-- has passed source_txid, so a subscriber gets each entity's events in order across the move, as a Vitess VStream
-- waits for the source streams' journal event before it follows the target. Purged with the outbox.
CREATE TABLE IF NOT EXISTS trellis_bucket_handoff (
  bucket      integer     NOT NULL CHECK (bucket BETWEEN 0 AND 1023),
  from_shard  integer     NOT NULL,
  source_txid bigint      NOT NULL,
  txid        bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bucket, source_txid)
);

-- While a bucket move copies a bucket, its owner row says so, and the fence logs the bucket column's value of every
-- row written in the bucket (one row per table and value): the cut-over then copies again only the rows with a
-- logged value, so the write pause grows with what changed during the copy, not with the bucket's size. The mover
-- sets the flag under the row's lock (in-flight writes of the bucket end first), and empties the log of the bucket
-- in the cut-over.
ALTER TABLE trellis_bucket_owner ADD COLUMN IF NOT EXISTS moving boolean NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS trellis_bucket_change (
  bucket     integer NOT NULL CHECK (bucket BETWEEN 0 AND 1023),
  table_name text    NOT NULL,
  value      text    NOT NULL,
  PRIMARY KEY (bucket, table_name, value)
);
