-- The shards each bucket directory version records (dev.trellis.platform.data.route.ShardRecord): index, JDBC URL
-- without credentials, state. The directory is the authority for the shard set: a replica following a version opens
-- pools for the shards it lacks and closes those of drained ones. A version stored before this table has no rows
-- here; its shards are the configured list (TRELLIS_SHARD_URLS), which stays the seed.
CREATE TABLE IF NOT EXISTS trellis_directory_shard (
  version     bigint  NOT NULL REFERENCES trellis_directory_version (version),
  shard_index integer NOT NULL CHECK (shard_index >= 0),
  jdbc_url    text    NOT NULL,
  state       text    NOT NULL CHECK (state IN ('JOINING', 'ACTIVE', 'DRAINING', 'DRAINED')),
  PRIMARY KEY (version, shard_index)
);

