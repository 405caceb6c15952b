-- The bucket fence (dev.trellis.platform.data.BucketFence): a write to a row of a bucketed table is refused inside
-- its transaction, with SQLSTATE TRB01, when this shard does not own the row's bucket (trellis_bucket_owner), so a
-- write routed by an old directory version is never applied on a shard the bucket left. A Flyway callback rather
-- than a repeatable migration: services attach the trigger in their versioned migrations, which run before
-- repeatables. Replicas migrating at once take turns here (CREATE OR REPLACE FUNCTION races otherwise).
SELECT pg_advisory_xact_lock(7286541120330516); -- any fixed number: the fence's own lock

-- a * b mod 2^32 for a, b in [0, 2^32), without overflowing bigint.
CREATE OR REPLACE FUNCTION trellis_mul32(a bigint, b bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ((a * (b & 65535)) + (((a * (b >> 16)) & 65535) << 16)) & 4294967295
$$;

-- The bucket of a shard key, exactly as ShardRouter.bucketOfKey: murmur3_32 (seed 0) of its UTF-8 bytes, mod 1024.
CREATE OR REPLACE FUNCTION trellis_bucket_of_key(key text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  data bytea := convert_to(key, 'UTF8');
  len integer := length(convert_to(key, 'UTF8'));
  h bigint := 0;
  k bigint;
  i integer := 0;
BEGIN
  WHILE i + 4 <= len LOOP
    k := get_byte(data, i)::bigint | (get_byte(data, i + 1)::bigint << 8) | (get_byte(data, i + 2)::bigint << 16)
        | (get_byte(data, i + 3)::bigint << 24);
    k := trellis_mul32(k, 3432918353);
    k := ((k << 15) | (k >> 17)) & 4294967295;
    k := trellis_mul32(k, 461845907);
    h := h # k;
    h := ((h << 13) | (h >> 19)) & 4294967295;
    h := (trellis_mul32(h, 5) + 3864292196) & 4294967295;
    i := i + 4;
  END LOOP;
  IF len > i THEN
    k := 0;
    IF len - i = 3 THEN k := k # (get_byte(data, i + 2)::bigint << 16); END IF;
    IF len - i >= 2 THEN k := k # (get_byte(data, i + 1)::bigint << 8); END IF;
    k := k # get_byte(data, i)::bigint;
    k := trellis_mul32(k, 3432918353);
    k := ((k << 15) | (k >> 17)) & 4294967295;
    k := trellis_mul32(k, 461845907);
    h := h # k;
  END IF;
  h := h # len;
  h := h # (h >> 16);
  h := trellis_mul32(h, 2246822507);
  h := h # (h >> 13);
  h := trellis_mul32(h, 3266489909);
  h := h # (h >> 16);
  RETURN (h & 1023)::integer;
END
$$;

-- The bucket bits of a Trellis id (see trellis_next_id).
CREATE OR REPLACE FUNCTION trellis_bucket_of_id(id bigint) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ((id >> 12) & 1023)::integer
$$;

-- Refuses (TRB01) unless this shard owns the bucket. The owner row is locked KEY SHARE until the write commits, so
-- a bucket move that locks it FOR UPDATE to cut over waits for the writes in flight, and every later write sees the
-- ownership the move left. It runs for every row a fenced write touches (some 20 per CreateOrder saga), and on a
-- table this small (256 rows a shard) the planner picks a sequential scan of every owner row, about twice the CPU
-- of the primary-key lookup: hence enable_seqscan off for the function (and trellis_claim_bucket below).
CREATE OR REPLACE FUNCTION trellis_require_bucket(bucket integer) RETURNS void
  LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  PERFORM 1 FROM trellis_bucket_owner o WHERE o.bucket = trellis_require_bucket.bucket FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'bucket % is not owned by this shard', bucket USING ERRCODE = 'TRB01';
  END IF;
END
$$;

-- trellis_require_bucket, telling also whether a bucket move is copying the bucket (trellis_bucket_owner.moving): then
-- the fence logs the keys it writes (trellis_bucket_change), and the mover's catch-up copies only those.
CREATE OR REPLACE FUNCTION trellis_claim_bucket(bucket integer) RETURNS boolean
  LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  is_moving boolean;
BEGIN
  SELECT o.moving INTO is_moving FROM trellis_bucket_owner o WHERE o.bucket = trellis_claim_bucket.bucket
    FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'bucket % is not owned by this shard', bucket USING ERRCODE = 'TRB01';
  END IF;
  RETURN is_moving;
END
$$;

-- The row trigger of a bucketed table: FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence(column, 'id' | 'key'),
-- where column holds a Trellis id of the row's bucket ('id') or its shard key ('key'). A bucket move copies and
-- deletes rows with SET LOCAL trellis.fence = 'off'.
CREATE OR REPLACE FUNCTION trellis_bucket_fence() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  col text := TG_ARGV[0];
  by_key boolean := TG_ARGV[1] = 'key';
  new_value text;
  old_value text;
  b integer;
BEGIN
  IF current_setting('trellis.fence', true) = 'off' THEN
    RETURN COALESCE(NEW, OLD);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_value := to_jsonb(NEW) ->> col;
    b := CASE WHEN by_key THEN trellis_bucket_of_key(new_value) ELSE trellis_bucket_of_id(new_value::bigint) END;
    IF trellis_claim_bucket(b) THEN
      INSERT INTO trellis_bucket_change (bucket, table_name, value) VALUES (b, TG_TABLE_NAME, new_value)
        ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    old_value := to_jsonb(OLD) ->> col;
    IF old_value IS DISTINCT FROM new_value THEN
      b := CASE WHEN by_key THEN trellis_bucket_of_key(old_value)
          ELSE trellis_bucket_of_id(old_value::bigint) END;
      IF trellis_claim_bucket(b) THEN
        INSERT INTO trellis_bucket_change (bucket, table_name, value) VALUES (b, TG_TABLE_NAME, old_value)
          ON CONFLICT DO NOTHING;
      END IF;
    END IF;
  END IF;
  RETURN COALESCE(NEW, OLD);
END
$$;

-- Fences a bucketed table with a trigger function of its own, which reads the bucket column directly (NEW.col)
-- instead of serialising the whole row with to_jsonb as the generic trellis_bucket_fence does: cheaper on every
-- write. A service's migration calls it once per table: SELECT trellis_fence_table('users', 'id', 'id', false);
-- kind is 'id' (the column holds a Trellis id of the row's bucket) or 'key' (a shard key); append_only fences INSERT
-- alone (an outbox, whose rows stay where they were written). The trigger keeps the name <table>_bucket_fence and
-- the arguments (column, kind), so dev.trellis.platform.data.BucketedTable reads tables fenced either way alike.
CREATE OR REPLACE FUNCTION trellis_fence_table(tbl text, col text, kind text, append_only boolean) RETURNS void
  LANGUAGE plpgsql AS $fence$
DECLARE
  fn text := 'trellis_bucket_fence_' || tbl;
  bucket_of text := CASE kind WHEN 'id' THEN 'trellis_bucket_of_id(%s.%I)' WHEN 'key' THEN
      'trellis_bucket_of_key(%s.%I)' END;
BEGIN
  IF bucket_of IS NULL THEN
    RAISE EXCEPTION 'kind must be id or key, got %', kind;
  END IF;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $body$
    DECLARE
      b integer;
    BEGIN
      IF current_setting('trellis.fence', true) = 'off' THEN
        RETURN COALESCE(NEW, OLD);
      END IF;
      IF TG_OP <> 'DELETE' THEN
        b := %s;
        IF trellis_claim_bucket(b) THEN
          INSERT INTO trellis_bucket_change (bucket, table_name, value) VALUES (b, TG_TABLE_NAME, NEW.%I::text)
            ON CONFLICT DO NOTHING;
        END IF;
      END IF;
      IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.%I IS DISTINCT FROM NEW.%I) THEN
        b := %s;
        IF trellis_claim_bucket(b) THEN
          INSERT INTO trellis_bucket_change (bucket, table_name, value) VALUES (b, TG_TABLE_NAME, OLD.%I::text)
            ON CONFLICT DO NOTHING;
        END IF;
      END IF;
      RETURN COALESCE(NEW, OLD);
    END
    $body$
  $f$, fn, format(bucket_of, 'NEW', col), col, col, col, format(bucket_of, 'OLD', col), col);
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_bucket_fence', tbl);
  EXECUTE format('CREATE TRIGGER %I BEFORE %s ON %I FOR EACH ROW EXECUTE FUNCTION %I(%L, %L)',
      tbl || '_bucket_fence', CASE WHEN append_only THEN 'INSERT' ELSE 'INSERT OR UPDATE OR DELETE' END, tbl, fn,
      col, kind);
END
$fence$;
