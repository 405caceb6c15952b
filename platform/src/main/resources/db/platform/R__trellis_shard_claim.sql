-- Each shard remembers its place in the topology the first time it is migrated (dev.trellis.platform.data.ShardClaim):
-- ids and email keys route to shards by that place, so a later start with a changed shard list (another count, or
-- the same URLs in another order) must stop instead of reading and writing on the wrong shards.
CREATE TABLE IF NOT EXISTS trellis_shard (
  singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  shard_index  integer     NOT NULL,
  shard_count  integer     NOT NULL,
  claimed_at   timestamptz NOT NULL DEFAULT now()
);
