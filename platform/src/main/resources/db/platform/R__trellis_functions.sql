-- Functions the platform installs on every shard.
--
-- Trellis ids, installed by the platform on every shard (see dev.trellis.platform.data.route.ShardId):
--   0 | 41 bits: milliseconds since 2025-01-01T00:00Z | 10 bits: bucket | 12 bits: per-shard sequence % 4096
-- Unique without a coordinator: within one shard the sequence separates ids of the same millisecond and bucket;
-- across shards the bucket bits do, because a bucket lives on one shard.
CREATE SEQUENCE IF NOT EXISTS trellis_id_seq AS bigint;

CREATE OR REPLACE FUNCTION trellis_next_id(bucket integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  millis bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1735689600000;
BEGIN
  IF bucket IS NULL OR bucket < 0 OR bucket > 1023 THEN
    RAISE EXCEPTION 'bucket must be between 0 and 1023, got %', bucket USING ERRCODE = '22023';
  END IF;
  RETURN (millis << 22) | (bucket::bigint << 12) | (nextval('trellis_id_seq') % 4096);
END
$$;

-- Outbox support. A change's outbox row carries the id of its transaction, as bigint:
--   txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint
-- Every transaction below the horizon has ended, so outbox rows below it are final; a feed reads
-- [watermark, horizon), or a bounded part of it ending on a transaction boundary, and moves its watermark to where
-- it stopped (see dev.trellis.platform.events.OutboxReader).
CREATE OR REPLACE FUNCTION trellis_txid_horizon() RETURNS bigint
  LANGUAGE sql VOLATILE AS $$
  SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint
$$;
