-- Each shard remembers its place in the topology the first time it is migrated (dev.trellis.platform.data.ShardClaim):
-- its index, and the bucket directory version it joined at. Ids and email keys route to shards by index, so a later
-- start with the same URLs in another order must stop instead of reading and writing on the wrong shards; the count
-- comes from the directory (shards join and leave with its versions). shard_count is the list size at the claim.
CREATE TABLE IF NOT EXISTS trellis_shard (
  singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  shard_index  integer     NOT NULL,
  shard_count  integer     NOT NULL,
  claimed_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE trellis_shard ADD COLUMN IF NOT EXISTS directory_version bigint;
